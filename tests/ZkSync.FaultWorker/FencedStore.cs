using System.Globalization;

namespace ZkSync.FaultWorker;

/// <summary>
/// The protected resource: a record file holding "token counter" that rejects writes carrying an older fencing token
/// than the last accepted one. Every accepted write is appended to a journal. The read-check-write runs under an
/// exclusive OS file lock (FileShare.None takes flock on Linux), so it is atomic across processes.
/// </summary>
internal sealed class FencedStore(string recordPath)
{
    private readonly string _journalPath = recordPath + ".journal";

    /// <summary>Increments the counter if <paramref name="token"/> is not older than the stored one.</summary>
    /// <returns>True when accepted; false when rejected as stale.</returns>
    public async Task<bool> IncrementAsync(long token)
    {
        while (true)
        {
            FileStream file;
            try
            {
                file = new FileStream(recordPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Yield(); // Another process holds the file lock for a few microseconds.
                continue;
            }

            await using (file)
            {
                using var reader = new StreamReader(file, leaveOpen: true);
                var text = (await reader.ReadToEndAsync()).Trim();
                var parts = text.Length == 0 ? ["0", "0"] : text.Split(' ');
                var storedToken = long.Parse(parts[0], CultureInfo.InvariantCulture);
                var counter = long.Parse(parts[1], CultureInfo.InvariantCulture);
                if (token < storedToken)
                {
                    return false;
                }

                counter++;
                file.SetLength(0);
                await using (var writer = new StreamWriter(file, leaveOpen: true))
                {
                    await writer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{token} {counter}"));
                }

                await File.AppendAllTextAsync(_journalPath, string.Create(CultureInfo.InvariantCulture, $"{token} {counter}\n"));
                return true;
            }
        }
    }
}
