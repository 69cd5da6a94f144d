using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ZkSync.Client;

namespace ZkSync.Client.Tests.Integration;

/// <summary>
/// TLS against a server's secureClientPort. eng/zookeeper.sh starts one and exports ZKSYNC_TEST_TLS_CONNECTION
/// (host:port of the TLS port), ZKSYNC_TEST_TLS_CA (PEM of the CA that signed the server certificate) and
/// ZKSYNC_TEST_TLS_PLAIN_CONNECTION (the same server's plaintext port).
/// </summary>
public sealed class TlsTests
{
    private static readonly string? TlsConnection = Environment.GetEnvironmentVariable("ZKSYNC_TEST_TLS_CONNECTION");
    private static readonly string? TlsCa = Environment.GetEnvironmentVariable("ZKSYNC_TEST_TLS_CA");
    private static readonly string? PlainConnection = Environment.GetEnvironmentVariable("ZKSYNC_TEST_TLS_PLAIN_CONNECTION");

    [Fact]
    public async Task Tls_TrustedCa_ConnectsAndWorks()
    {
        RequireTlsServer();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var client = await ZooKeeperClient.ConnectAsync(TlsOptions(TlsConnection!, TlsCa!), cancellationToken: timeout.Token);

        var path = "/zksync-tls-" + Guid.NewGuid().ToString("N")[..8];
        await client.CreateAsync(path, "over tls"u8.ToArray(), CreateMode.Ephemeral);

        Assert.Equal("over tls"u8.ToArray(), (await client.GetDataAsync(path)).Data);
    }

    [Fact]
    public async Task Tls_UnknownCa_IsRefusedWithClearError()
    {
        RequireTlsServer();
        var otherCa = Path.Combine(Path.GetTempPath(), "zksync-other-ca-" + Guid.NewGuid().ToString("N") + ".pem");
        using (var key = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=Some Other CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(otherCa, ca.ExportCertificatePem(), TestContext.Current.CancellationToken);
        }

        try
        {
            var error = await ExpectNoConnectionAsync(TlsOptions(TlsConnection!, otherCa));
            Assert.Contains("TLS handshake", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(otherCa);
        }
    }

    [Fact]
    public async Task Tls_WrongHostName_IsRefused()
    {
        RequireTlsServer();
        var options = TlsOptions(TlsConnection!, TlsCa!);
        options.Tls.TargetHost = "not-the-server.example";

        var error = await ExpectNoConnectionAsync(options);

        Assert.Contains("TLS handshake", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plaintext_ToTlsPort_FailsWithHint()
    {
        RequireTlsServer();
        var options = TlsOptions(TlsConnection!, TlsCa!);
        options.Tls.Enabled = false;

        var error = await ExpectNoConnectionAsync(options);

        Assert.Contains("expects TLS", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tls_ToPlaintextPort_FailsWithHint()
    {
        RequireTlsServer();
        Assert.SkipWhen(PlainConnection is null, "ZKSYNC_TEST_TLS_PLAIN_CONNECTION is not set.");

        var error = await ExpectNoConnectionAsync(TlsOptions(PlainConnection!, TlsCa!));

        Assert.Contains("secureClientPort", error, StringComparison.Ordinal);
    }

    private static void RequireTlsServer() =>
        Assert.SkipWhen(TlsConnection is null || TlsCa is null, "No TLS ZooKeeper: set ZKSYNC_TEST_TLS_CONNECTION and ZKSYNC_TEST_TLS_CA (eng/test.sh does).");

    private static ZooKeeperClientOptions TlsOptions(string connection, string ca) => new()
    {
        ConnectionString = connection,
        SessionTimeout = TimeSpan.FromSeconds(10),
        ConnectTimeout = TimeSpan.FromSeconds(3),
        Tls = { Enabled = true, CaCertificatePath = ca },
    };

    /// <summary>Checks the client does not connect within a few seconds and returns the error it recorded.</summary>
    private static async Task<string> ExpectNoConnectionAsync(ZooKeeperClientOptions options)
    {
        await using var client = new ZooKeeperClient(options);

        // Every attempt fails at once (TLS or handshake), so a few seconds see several; none may connect.
        await Assert.ThrowsAsync<TimeoutException>(() => client.WaitForConnectedAsync().WaitAsync(TimeSpan.FromSeconds(4)));

        Assert.NotEqual(ZooKeeperSessionState.Connected, client.State);
        Assert.NotNull(client.LastConnectionError);
        return client.LastConnectionError;
    }
}
