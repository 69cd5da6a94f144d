using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ZkSync.Client.Internal;

/// <summary>Wraps a connected stream in TLS according to <see cref="ZooKeeperTlsOptions"/>; loads certificates once.</summary>
internal sealed class TlsConnector : IDisposable
{
    private readonly ZooKeeperTlsOptions _options;
    private readonly X509Certificate2Collection? _trustedRoots;
    private readonly X509Certificate2Collection _clientCertificates = [];

    public TlsConnector(ZooKeeperTlsOptions options)
    {
        _options = options;
        if (options.CaCertificatePath is { } caPath)
        {
            _trustedRoots = [];
            try
            {
                _trustedRoots.ImportFromPemFile(caPath);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                throw new ArgumentException($"Tls.CaCertificatePath '{caPath}' could not be read as PEM certificates: {ex.Message}", "Tls.CaCertificatePath", ex);
            }

            if (_trustedRoots.Count == 0)
            {
                throw new ArgumentException($"Tls.CaCertificatePath '{caPath}' contains no PEM certificate.", "Tls.CaCertificatePath");
            }
        }

        if (options.ClientCertificatePath is { } certPath)
        {
            try
            {
                var isPkcs12 = certPath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certPath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
                var certificate = isPkcs12
                    ? X509CertificateLoader.LoadPkcs12FromFile(certPath, options.ClientCertificatePassword)
                    : X509Certificate2.CreateFromPemFile(certPath, options.ClientKeyPath);
                _clientCertificates.Add(certificate);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
            {
                // The message of a wrong-password failure carries no secret; the password itself is never included.
                throw new ArgumentException($"Tls.ClientCertificatePath '{certPath}' could not be loaded: {ex.Message}", "Tls.ClientCertificatePath", ex);
            }
        }
    }

    public async Task<Stream> AuthenticateAsync(Stream inner, string host, CancellationToken cancellationToken)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _options.TargetHost ?? host,
            ClientCertificates = _clientCertificates.Count > 0 ? _clientCertificates : null,
            CertificateRevocationCheckMode = _options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = _trustedRoots is null ? null : ValidateAgainstCustomRoots,
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options, cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new IOException(
                $"TLS handshake with {host} failed: {ex.Message.TrimEnd('.')}{(ex.InnerException is { } inner2 ? " (" + inner2.Message.TrimEnd('.') + ")" : "")}. " +
                "Check that the port is the server's secureClientPort, that its certificate is trusted (Tls.CaCertificatePath) and names the host, " +
                "and whether the server requires a client certificate.", ex);
        }
    }

    private bool ValidateAgainstCustomRoots(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNotAvailable | SslPolicyErrors.RemoteCertificateNameMismatch)) != 0)
        {
            return false; // Host name checks are never relaxed.
        }

        using var customChain = new X509Chain();
        customChain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        customChain.ChainPolicy.CustomTrustStore.AddRange(_trustedRoots!);
        customChain.ChainPolicy.RevocationMode = _options.CheckCertificateRevocation ? X509RevocationMode.Online : X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent.
            foreach (var element in chain.ChainElements)
            {
                customChain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var serverCertificate = new X509Certificate2(certificate);
        return customChain.Build(serverCertificate);
    }

    public void Dispose()
    {
        foreach (var certificate in _clientCertificates)
        {
            certificate.Dispose();
        }

        if (_trustedRoots is not null)
        {
            foreach (var certificate in _trustedRoots)
            {
                certificate.Dispose();
            }
        }
    }
}
