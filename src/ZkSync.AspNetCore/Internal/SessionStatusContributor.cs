using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ZkSync.Client;

namespace ZkSync.AspNetCore.Internal;

/// <summary>Reports the shared client's session: state, id, server, negotiated timeout, last zxid.</summary>
internal sealed class SessionStatusContributor(ZooKeeperClient client, ZkSyncSessionTracker tracker) : IZkSyncStatusContributor
{
    public void Contribute(ZkSyncStatusReport status)
    {
        var session = client.Session;
        status.Data["state"] = session.State.ToString();
        status.Data["stateSince"] = tracker.StateSince;
        status.Data["sessionId"] = Hex(session.SessionId);
        status.Data["connectedServer"] = session.ConnectedServer ?? "";
        status.Data["negotiatedTimeoutMs"] = (long)session.NegotiatedTimeout.TotalMilliseconds;
        status.Data["lastZxid"] = Hex(session.LastZxid);
        if (tracker.Identities is { } identities)
        {
            status.Data["identities"] = identities;
        }
        switch (session.State)
        {
            case ZooKeeperSessionState.Connected or ZooKeeperSessionState.Reconnected:
                status.Summary = $"ZooKeeper session {Hex(session.SessionId)} connected to {session.ConnectedServer}.";
                break;
            case ZooKeeperSessionState.Connecting:
                status.Report(HealthStatus.Degraded, "Connecting to ZooKeeper: no session yet; endpoints that need a lock are rejected.");
                break;
            case ZooKeeperSessionState.Suspended:
                status.Report(HealthStatus.Degraded, $"ZooKeeper connection suspended (session {Hex(session.SessionId)}); reconnecting. Held locks are not trusted until then.");
                break;
            case ZooKeeperSessionState.Expired:
                status.Report(HealthStatus.Unhealthy, $"ZooKeeper session {Hex(session.SessionId)} expired; its locks are gone. A new session is being created.");
                break;
            case ZooKeeperSessionState.AuthFailed:
                status.Report(HealthStatus.Unhealthy, "ZooKeeper rejected the credentials (ZkSync:Auth); the client stopped.");
                break;
            default:
                status.Report(HealthStatus.Unhealthy, "The ZooKeeper client is closed.");
                break;
        }
    }

    private static string Hex(long value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
