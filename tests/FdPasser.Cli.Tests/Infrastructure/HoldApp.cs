using System;
using System.IO;

namespace FdPasser.Cli.Tests.Infrastructure;

/// <summary>The python3-systemd HTTP app of the fdpass hold tests (Hold/App/hold_app.py), run with Debian's /usr/bin/python3.</summary>
internal static class HoldApp
{
    public const string Python = "/usr/bin/python3";

    public static string Script { get; } = Path.Combine(AppContext.BaseDirectory, "Hold", "App", "hold_app.py");

    private static readonly Lazy<bool> s_available = new(() =>
        File.Exists(Python) && Exec.Run(Python, new[] { "-c", "import systemd.daemon" }).ExitCode == 0);

    /// <summary>Skips the test, saying which Debian package brings what is missing.</summary>
    public static void SkipUnlessAvailable() =>
        Assert.SkipUnless(s_available.Value,
            "/usr/bin/python3 cannot import systemd.daemon: install the Debian package python3-systemd (.ci/run does).");
}
