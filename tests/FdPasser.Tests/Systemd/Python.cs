using System.IO;
using FdPasser.Tests.Support;

namespace FdPasser.Tests.Systemd;

/// <summary>Debian's python3-systemd (real libsystemd) for /usr/bin/python3, the peer these tests check against.</summary>
internal static class Python
{
    public const string Path = "/usr/bin/python3";

    public static void RequireSystemd()
    {
        if (!File.Exists(Path))
        {
            Assert.Skip("/usr/bin/python3 is missing: install the Debian package python3 (.ci/run does).");
        }
        var (exit, _, _) = Peers.FinishAsync(Peers.Start(Path, "-c", "import systemd.daemon")).GetAwaiter().GetResult();
        if (exit != 0)
        {
            Assert.Skip("systemd.daemon is missing for /usr/bin/python3: install the Debian package python3-systemd (.ci/run does).");
        }
    }
}
