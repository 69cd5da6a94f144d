namespace ZkSync.Client;

/// <summary>
/// TLS to ZooKeeper's <c>secureClientPort</c> (the server's Netty connection factory). When enabled, every connection
/// is TLS; there is never a fallback to plaintext.
/// </summary>
public sealed class ZooKeeperTlsOptions
{
    /// <summary>Connect with TLS. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>
    /// A PEM file with the CA certificate(s) that must have issued the server's certificate. Null (default): the
    /// system's trusted roots.
    /// </summary>
    public string? CaCertificatePath { get; set; }

    /// <summary>
    /// For mutual TLS: the client certificate, either a PEM file (with <see cref="ClientKeyPath"/>) or a PKCS#12
    /// (<c>.pfx</c>/<c>.p12</c>) file (with <see cref="ClientCertificatePassword"/>). Null (default): no client certificate.
    /// </summary>
    public string? ClientCertificatePath { get; set; }

    /// <summary>The PEM private key of <see cref="ClientCertificatePath"/>, when that is a PEM certificate.</summary>
    public string? ClientKeyPath { get; set; }

    /// <summary>The password of a PKCS#12 client certificate. Never logged.</summary>
    public string? ClientCertificatePassword { get; set; }

    /// <summary>
    /// The name the server certificate must carry. Null (default): the host name from the connection string; host name
    /// checking is always on.
    /// </summary>
    public string? TargetHost { get; set; }

    /// <summary>Check the server certificate's revocation status online. Default false (ensembles are usually private PKI).</summary>
    public bool CheckCertificateRevocation { get; set; }

    /// <summary>Describes the settings without secrets.</summary>
    /// <returns>A description.</returns>
    public override string ToString() =>
        $"Enabled={Enabled}, CaCertificatePath={CaCertificatePath}, ClientCertificatePath={ClientCertificatePath}, TargetHost={TargetHost}, ClientCertificatePassword={(ClientCertificatePassword is null ? "null" : "***")}";
}
