using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using FdPasser.Cli.Hold;
using FdPasser.Cli.Tests.Infrastructure;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// <c>--user</c> against a service user who may write a directory on PATH, and the environment a generation gets:
/// systemd's, not root's, plus <c>--env</c> and <c>--env-file</c>.
/// </summary>
public sealed class HoldUserTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void A_setpriv_on_PATH_ahead_of_usr_bin_is_never_run()
    {
        SkipUnlessRootWithApp();
        string bin = Path.Combine(_tree.Path, "bin");
        Directory.CreateDirectory(bin);
        string marker = Path.Combine(_tree.Path, "fake-setpriv-ran");
        string fake = Path.Combine(bin, "setpriv");
        File.WriteAllText(fake, $"#!/bin/sh\ntouch '{marker}'\nexec /usr/bin/setpriv \"$@\"\n");
        File.SetUnixFileMode(fake, (UnixFileMode)0b111_101_101);

        using HoldProcess hold = HoldProcess.StartWrapped(new[] { "env", $"PATH={bin}:/usr/bin:/bin" }, "--user", "nobody");
        hold.Signal("HUP");
        hold.AssertLogged("generation 2 (pid", "is ready", Patience);

        Assert.False(File.Exists(marker), "the setpriv found on PATH ran as root");
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Fact]
    public void A_user_generation_gets_the_service_environment_not_roots_plus_env_and_env_file()
    {
        SkipUnlessRootWithApp();
        string file = Path.Combine(_tree.Path, "app.env");
        File.WriteAllText(file, "# settings\n\nFROM_FILE=two words\n; also a comment\nOVERRIDDEN=file\n");
        File.SetUnixFileMode(_tree.Path, (UnixFileMode)0b111_101_101);
        UserAccount nobody = UserAccount.Find("nobody");

        using HoldProcess hold = HoldProcess.StartWrapped(new[] { "env", "FDP_ROOTS_OWN=secret", "LANG=C.UTF-8" },
            "--user", "nobody", "--env-file", file, "--env", "OVERRIDDEN=option", "--env", "FROM_OPTION=yes");
        Dictionary<string, string> env = EnvironmentOf(hold.PidOf(1));

        Assert.False(env.ContainsKey("FDP_ROOTS_OWN"), "root's environment reached the generation");
        Assert.Equal(ChildEnvironment.ServicePath, env["PATH"]);
        Assert.Equal("C.UTF-8", env["LANG"]);
        Assert.Equal(nobody.Home, env["HOME"]);
        Assert.Equal("nobody", env["USER"]);
        Assert.Equal("nobody", env["LOGNAME"]);
        Assert.Equal(nobody.Shell, env["SHELL"]);
        Assert.Equal("1", env["LISTEN_FDS"]);
        Assert.Equal("web", env["LISTEN_FDNAMES"]);
        Assert.StartsWith("@fdpass-hold/", env["NOTIFY_SOCKET"], StringComparison.Ordinal);
        Assert.Equal("two words", env["FROM_FILE"]);
        Assert.Equal("option", env["OVERRIDDEN"]);
        Assert.Equal("yes", env["FROM_OPTION"]);
        Assert.Equal(0, hold.Stop("TERM"));
    }

    [Theory]
    [InlineData("--env", "NOVALUE", "fdpass hold: --env: 'NOVALUE' is not NAME=VALUE (NAME not empty, no '=' or NUL in it) (see 'fdpass hold --help')")]
    [InlineData("--env", "=x", "fdpass hold: --env: '=x' is not NAME=VALUE (NAME not empty, no '=' or NUL in it) (see 'fdpass hold --help')")]
    public void A_bad_env_is_a_usage_error(string option, string value, string expected)
    {
        RunResult run = Fdpass.Run("hold", "--listen", "web=tcp:127.0.0.1:0", option, value, "--", "/bin/true");

        Assert.Equal(2, run.ExitCode);
        Assert.Equal(expected + "\n", run.Stderr);
    }

    private static Dictionary<string, string> EnvironmentOf(int pid) =>
        File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
            .Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v.Length > 1 ? v[1] : "", StringComparer.Ordinal);

    private static void SkipUnlessRootWithApp()
    {
        HoldApp.SkipUnlessAvailable();
        Assert.SkipUnless(Fdpass.OwnUid() == 0, "--user needs root (.ci/run runs the tests as root).");
    }
}
