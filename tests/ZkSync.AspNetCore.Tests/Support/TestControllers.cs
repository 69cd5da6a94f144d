using Microsoft.AspNetCore.Mvc;
using ZkSync.Locks;

namespace ZkSync.AspNetCore.Tests.Support;

/// <summary>Which app of a test served a request.</summary>
public sealed record TestAppIdentity(string Name);

/// <summary>What the test endpoints return: the lock they held.</summary>
public sealed record HeldLock(string App, string Name, string LockPath, string Mode, long FencingToken);

/// <summary>
/// Controller endpoints used by the tests (found as an application part). The class-level lock applies unless an
/// action says otherwise. <c>?gate=name</c> parks a request inside its lock until the test releases it.
/// </summary>
[ApiController]
[Route("test/orders/{id}")]
[DistributedLock("/orders/{id}")]
public sealed class TestOrdersController(TestGates gates, LockRecorder recorder, TestAppIdentity app) : ControllerBase
{
    /// <summary>Exclusive, wait 0 (the class attribute).</summary>
    [HttpPost("work")]
    public Task<HeldLock> Work(string? gate) => RunAsync(gate);

    /// <summary>Exclusive, waits up to 30 s in line.</summary>
    [HttpPost("queue")]
    [DistributedLock("/orders/{id}", WaitTimeoutMilliseconds = 30_000)]
    public Task<HeldLock> Queue(string? gate) => RunAsync(gate, simulateWork: true);

    /// <summary>Shared, wait 0.</summary>
    [HttpGet("read")]
    [DistributedLock("/orders/{id}", Mode = ZooKeeperLockMode.Shared)]
    public Task<HeldLock> Read(string? gate) => RunAsync(gate);

    /// <summary>Shared, as the named policy "reads" says (registered by the tests).</summary>
    [HttpGet("read-policy")]
    [DistributedLock("/orders/{id}", PolicyName = "reads")]
    public Task<HeldLock> ReadPolicy(string? gate) => RunAsync(gate);

    /// <summary>Holds the lock, then throws.</summary>
    [HttpPost("fail")]
    public async Task<HeldLock> Fail(string? gate)
    {
        await RunAsync(gate);
        throw new InvalidOperationException("The handler failed on purpose.");
    }

    /// <summary>No lock despite the class attribute.</summary>
    [HttpGet("free")]
    [DisableDistributedLock]
    public IActionResult Free() => Ok(HttpContext.Features.Get<IDistributedLockFeature>() is null ? "unlocked" : "locked");

    private async Task<HeldLock> RunAsync(string? gate, bool simulateWork = false)
    {
        var held = HttpContext.Features.Get<IDistributedLockFeature>() ?? throw new InvalidOperationException("No lock held.");
        var entered = recorder.Enter(held.Name);
        try
        {
            if (gate is not null)
            {
                await gates[gate].PassAsync(held, HttpContext.RequestAborted);
            }

            if (simulateWork)
            {
                // Work inside the lock, so that overlapping holders (if the lock were broken) would be caught.
                await Task.Delay(5, HttpContext.RequestAborted);
            }
        }
        finally
        {
            recorder.Exit(held.Name, app.Name, entered);
        }

        return new HeldLock(app.Name, held.Name, held.LockPath, held.Mode.ToString(), held.FencingToken);
    }
}

/// <summary>Edge cases of route values.</summary>
[ApiController]
public sealed class TestRouteValuesController : ControllerBase
{
    [HttpPost("/test/optional/{id?}")]
    [DistributedLock("/orders/{id}")]
    public IActionResult Optional() => Ok();

    [HttpPost("/test/files/{**path}")]
    [DistributedLock("/files/{path}")]
    public IActionResult Files() => Ok();
}

/// <summary>A controller without lock attributes (locks come from conventions, if any).</summary>
[ApiController]
public sealed class TestPlainController : ControllerBase
{
    [HttpGet("/test/plain")]
    public IActionResult Plain() => Ok(HttpContext.Features.Get<IDistributedLockFeature>()?.Name ?? "unlocked");
}

/// <summary>An order whose customer names the lock (a property path into the JSON body).</summary>
public sealed record CustomerOrder(string? CustomerId, string? Item);

/// <summary>Controller endpoints whose locks need bound arguments (taken by ZkSync's action filter after binding).</summary>
[ApiController]
public sealed class TestBoundLocksController(TestGates gates, TestAppIdentity app) : ControllerBase
{
    [HttpPost("/test/mvc/customers")]
    [DistributedLock("/customers/{arg.order.CustomerId}")]
    public async Task<HeldLock> Order(CustomerOrder order, string? gate)
    {
        var held = HttpContext.Features.Get<IDistributedLockFeature>() ?? throw new InvalidOperationException("No lock held.");
        if (gate is not null)
        {
            await gates[gate].PassAsync(held, HttpContext.RequestAborted);
        }

        return new HeldLock(app.Name, held.Name, held.LockPath, held.Mode.ToString(), held.FencingToken);
    }

    [HttpPost("/test/mvc/typed/{id}")]
    [DistributedLock("/typed/{id}")]
    public HeldLock Typed(int id)
    {
        var held = HttpContext.Features.Get<IDistributedLockFeature>() ?? throw new InvalidOperationException("No lock held.");
        return new HeldLock(app.Name, held.Name, held.LockPath, id.ToString(CultureInfo.InvariantCulture), held.FencingToken);
    }
}

/// <summary>A controller without [ApiController]: invalid model state does not stop the action by itself.</summary>
public sealed class TestPlainBoundController : ControllerBase
{
    [HttpPost("/test/plain/typed/{id}")]
    [DistributedLock("/typed/{id}")]
    public IActionResult Typed(int id) => Ok(new HeldLock("app", HttpContext.Features.Get<IDistributedLockFeature>()!.Name, "", id.ToString(CultureInfo.InvariantCulture), 0));
}
