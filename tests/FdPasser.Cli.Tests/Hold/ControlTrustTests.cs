using System;
using System.Diagnostics;
using System.IO;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Cli.Hold;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// The control socket against another local user: one who bound the path first is not trusted, a directory someone
/// else owns or may write is refused, what a server sends is printed escaped, and a refused client reads why.
/// </summary>
public sealed class ControlTrustTests : IDisposable
{
    private const uint Nobody = 65534;

    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_default_path_of_a_user_without_a_runtime_directory_is_in_a_directory_of_its_own()
    {
        Assert.Equal("/tmp/fdpass-hold-1000/control.sock", ControlPath.Default(1000, null));
        Assert.Equal("/run/user/1000/fdpass-hold.sock", ControlPath.Default(1000, "/run/user/1000"));
        Assert.Equal("/run/fdpass-hold.sock", ControlPath.Default(0, null));
    }

    [Fact]
    public void A_private_directory_of_ones_own_passes()
    {
        string dir = MakeDirectory("own", 0b111_000_000, owner: null);

        ControlPath.CheckDirectory(dir, Fdpass.OwnUid());
    }

    [Fact]
    public void A_directory_owned_by_someone_else_is_refused()
    {
        RootOnly();
        string dir = MakeDirectory("theirs", 0b111_000_000, owner: "nobody");

        IOException e = Assert.Throws<IOException>(() => ControlPath.CheckDirectory(dir, 0));

        Assert.Contains($"'{dir}' belongs to uid {Nobody}, not to uid 0: refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_open_to_group_or_others_is_refused_for_a_user()
    {
        RootOnly();
        string dir = MakeDirectory("open", 0b111_101_101, owner: "nobody");

        IOException e = Assert.Throws<IOException>(() => ControlPath.CheckDirectory(dir, Nobody));

        Assert.Contains($"'{dir}' has mode 755, open to group or others: refused", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symlink_to_a_private_directory_is_refused_not_followed()
    {
        string dir = MakeDirectory("target", 0b111_000_000, owner: null);
        string link = Path.Combine(_tree.Path, "link");
        Directory.CreateSymbolicLink(link, dir);

        IOException e = Assert.Throws<IOException>(() => ControlPath.CheckDirectory(link, Fdpass.OwnUid()));

        Assert.Contains("is not a directory (a symbolic link is not followed)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void As_a_user_without_a_runtime_directory_a_default_directory_made_by_another_user_is_refused()
    {
        RootOnly();
        // The user's default path is /tmp/fdpass-hold-65534/control.sock; root (the other user here) made the directory first.
        string dir = $"/tmp/fdpass-hold-{Nobody}";
        Assert.SkipWhen(Directory.Exists(dir) && !IsOwnedByRoot(dir), $"{dir} exists and is not this test's");
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
        try
        {
            RunResult status = AsNobody("hold", "--status");
            RunResult start = AsNobody("hold", "--listen", "web=tcp:127.0.0.1:0", "--", "/bin/true");

            Assert.Equal(1, status.ExitCode);
            Assert.Equal($"fdpass hold: the control socket's directory '{dir}' belongs to uid 0, not to uid {Nobody}: refused", status.Stderr[..status.Stderr.IndexOf(", since", StringComparison.Ordinal)]);
            Assert.Equal(1, start.ExitCode);
            Assert.Contains($"'{dir}' belongs to uid 0, not to uid {Nobody}: refused", start.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task A_server_running_as_another_user_is_not_trusted_nor_sent_the_request()
    {
        RootOnly();
        File.SetUnixFileMode(_tree.Path, (UnixFileMode)0b111_111_111);
        string path = Path.Combine(_tree.Path, "control.sock");
        string received = Path.Combine(_tree.Path, "received");
        // A user's server at the path: answers anything with an escape sequence, and notes what it was sent.
        string script = $"""
            import socket, os
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind({Py(path)}); s.listen(1)
            print("listening", flush=True)
            c, _ = s.accept()
            c.settimeout(5)
            try:
                data = c.recv(100)
            except Exception:
                data = b""
            open({Py(received)}, "wb").write(data)
            c.sendall(b"\x1b]0;pwned\x07ok\n"); c.close()
            """;
        var start = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (string arg in new[] { $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "/usr/bin/python3", "-c", script })
        {
            start.ArgumentList.Add(arg);
        }
        using Process server = TestProcesses.Start(start);
        Assert.Equal("listening", await server.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken));

        RunResult run = Fdpass.Run("hold", "--reload", "--control", path);

        Assert.True(server.WaitForExit(TimeSpan.FromSeconds(30)), "the fake server did not finish");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal($"fdpass hold: the control socket '{path}' is served by uid {Nobody}, which is neither uid 0 nor root: not trusted, nothing sent\n", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(0, new FileInfo(received).Length);
    }

    [Fact]
    public async Task Escape_sequences_from_the_server_are_printed_escaped()
    {
        string path = Path.Combine(_tree.Path, "control.sock");
        using FdListener listener = FdListener.Create(path);
        Task server = Task.Run(() =>
        {
            using FdChannel channel = listener.Accept().Channel;
            using FdMessage request = channel.ReceiveRaw(256, 0);
            channel.SendRaw(Encoding.UTF8.GetBytes("generation 1: \u001b]0;pwned\u0007\u001b[2J\rstatus \u202Egnp.exe\n"), ReadOnlySpan<int>.Empty);
        }, TestContext.Current.CancellationToken);

        RunResult run = Fdpass.Run("hold", "--status", "--control", path);
        await server;

        Assert.Equal(0, run.ExitCode);
        Assert.Equal("generation 1: \\u001b]0;pwned\\u0007\\u001b[2J\\rstatus \\u202egnp.exe\n", run.Stdout);
    }

    [Fact]
    public void A_refused_client_reads_the_refusal_instead_of_EPIPE()
    {
        HoldApp.SkipUnlessAvailable();
        RootOnly();
        using HoldProcess hold = HoldProcess.Start();
        // uid nobody with CAP_DAC_OVERRIDE gets past the socket file's mode 0600; hold itself refuses it.
        for (int i = 0; i < 5; i++)
        {
            RunResult run = Exec.Run("setpriv", new[]
            {
                $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups", "--inh-caps=+dac_override", "--ambient-caps=+dac_override",
                Fdpass.Binary, "hold", "--reload", "--control", hold.ControlPath,
            });

            Assert.Equal($"fdpass hold: refused: uid {Nobody} is neither uid 0 nor root\n", run.Stderr);
            Assert.Equal(1, run.ExitCode);
        }
        Assert.DoesNotContain(hold.Log, l => l.Contains("starting generation 2", StringComparison.Ordinal));
    }

    private static RunResult AsNobody(params string[] args)
    {
        var all = new System.Collections.Generic.List<string>
        {
            "-u", "XDG_RUNTIME_DIR", "HOME=/tmp", "setpriv", $"--reuid={Nobody}", $"--regid={Nobody}", "--clear-groups",
            "--inh-caps=+dac_override", "--ambient-caps=+dac_override", Fdpass.Binary,
        };
        all.AddRange(args);
        return Exec.Run("env", all, timeoutSeconds: 30);
    }

    private string MakeDirectory(string name, int mode, string? owner)
    {
        string dir = Path.Combine(_tree.Path, name);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)mode);
        if (owner is not null)
        {
            RunResult chown = Exec.Run("chown", new[] { owner, dir });
            Assert.True(chown.ExitCode == 0, chown.ToString());
        }
        return dir;
    }

    private static bool IsOwnedByRoot(string dir) => Exec.Run("stat", new[] { "-c", "%u", dir }).Stdout.Trim() == "0";

    private static string Py(string text) => "'" + text.Replace("'", "\\'", StringComparison.Ordinal) + "'";

    private static void RootOnly() => Assert.SkipUnless(Fdpass.OwnUid() == 0, "needs root to act as another user (.ci/run runs the tests as root)");
}
