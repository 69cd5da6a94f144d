using System.Collections.Concurrent;

namespace ZkSync.AspNetCore.Tests.Support;

/// <summary>
/// Rendezvous points between a test and its endpoints: an endpoint given <c>?gate=name</c> reports that it entered (with
/// the lock it holds) and then waits until the test releases it. Shared by every app of a test.
/// </summary>
public sealed class TestGates
{
    private readonly ConcurrentDictionary<string, Gate> _gates = new(StringComparer.Ordinal);

    public Gate this[string name] => _gates.GetOrAdd(name, _ => new Gate());

    public sealed class Gate
    {
        private readonly TaskCompletionSource<IDistributedLockFeature?> _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes with the lock the endpoint holds once it runs.</summary>
        public Task<IDistributedLockFeature?> Entered => _entered.Task.WaitAsync(TimeSpan.FromSeconds(30));

        public void Release() => _release.TrySetResult();

        /// <summary>Called by the endpoint: reports entry, then waits for the release (or the request's abort).</summary>
        public async Task PassAsync(IDistributedLockFeature? held, CancellationToken requestAborted)
        {
            _entered.TrySetResult(held);
            await _release.Task.WaitAsync(requestAborted);
        }
    }
}
