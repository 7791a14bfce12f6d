using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests;

/// <summary>
/// A client that may rename entries inside the served root exchanges names (renameat2 RENAME_EXCHANGE, in
/// CSwap/swapper.c) while requests for them go through the server: a directory with a symbolic link leading out
/// of the root, a regular file with a FIFO. Whatever the timing, nothing outside the root may be truncated or
/// created, and no FIFO may be served.
/// </summary>
public sealed class RenameRaceTests : IDisposable
{
    // Linux open() flags (the same on x86-64 and arm64); the swapper is Linux-only too.
    private const int O_WRONLY = 0x1;
    private const int O_CREAT = 0x40;
    private const int O_TRUNC = 0x200;

    private const double RaceSeconds = 6;

    private readonly TempTree _tree = new();
    private readonly string _swapper;

    public RenameRaceTests()
    {
        _swapper = Path.Combine(_tree.Path, "swapper");
        RunResult gcc = Exec.Run("gcc", new[] { "-O1", "-Wall", "-Werror", "-o", _swapper, Path.Combine(AppContext.BaseDirectory, "CSwap", "swapper.c") });
        Assert.True(gcc.ExitCode == 0, "gcc failed: " + gcc);
    }

    public void Dispose() => _tree.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Racing_a_directory_with_a_link_out_of_the_root_truncates_and_creates_nothing_outside(bool openat2)
    {
        string outside = Path.Combine(_tree.Path, "outside-dir");
        Directory.CreateDirectory(outside);
        File.WriteAllText(Path.Combine(outside, "victim.txt"), "must survive\n");
        Directory.CreateDirectory(_tree.InRoot("d"));
        File.WriteAllText(_tree.InRoot("d/victim.txt"), "inside\n");
        Directory.CreateSymbolicLink(_tree.InRoot("link"), outside);
        using ServeProcess server = Serve(openat2, "--allow-write");

        int served = Race("d", "link", (client, i) => i % 2 == 0
            ? $"open d/victim.txt {O_WRONLY | O_TRUNC}\0"
            : $"open d/new-{client}-{i} {O_WRONLY | O_CREAT}\0", _ => true);

        Assert.True(served > 0, "no request was served at all: the race proves nothing");
        Assert.Equal("must survive\n", File.ReadAllText(Path.Combine(outside, "victim.txt")));
        string[] created = Directory.GetFiles(outside).Select(Path.GetFileName).Where(n => n != "victim.txt").ToArray()!;
        Assert.True(created.Length == 0, $"{created.Length} file(s) created outside the root, e.g. {string.Join(", ", created.Take(5))}");
        Assert.False(server.HasExited, "fdpass serve exited: " + server.Errors);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Racing_a_regular_file_with_a_fifo_never_serves_the_fifo(bool openat2)
    {
        File.WriteAllText(_tree.InRoot("f"), "a regular file\n");
        RunResult mkfifo = Exec.Run("mkfifo", new[] { _tree.InRoot("p") });
        Assert.True(mkfifo.ExitCode == 0, mkfifo.ToString());
        using ServeProcess server = Serve(openat2);
        int fifos = 0;

        int served = Race("f", "p", (_, _) => "open f 0\0", handle =>
        {
            // A FIFO cannot seek; a regular file can.
            using var stream = new FileStream(handle, FileAccess.Read, 1);
            if (!stream.CanSeek)
            {
                Interlocked.Increment(ref fifos);
            }
            return true;
        });

        Assert.True(served > 0, "no request was served at all: the race proves nothing");
        Assert.Equal(0, fifos);
        Assert.False(server.HasExited, "fdpass serve exited: " + server.Errors);
    }

    /// <summary>A server opening with openat2 (where the kernel has it), or walking the path with openat as older kernels do.</summary>
    private ServeProcess Serve(bool openat2, params string[] options)
    {
        string[] all = new[] { "--root", _tree.Root }.Concat(options).ToArray();
        ServeProcess server = openat2 ? ServeProcess.Start(_tree.Endpoint, all) : ServeProcess.StartWithoutOpenat2(_tree.Endpoint, all);
        string expected = openat2 ? "opening with openat2" : "opening component by component with openat";
        if (openat2 && !server.Log[0].Contains(expected, StringComparison.Ordinal))
        {
            string log = server.Log[0];
            server.Dispose();
            const string instead = "the case of this test with openat2 false";
            Assert.Skip(log.Contains("(openat2 answered ENOSYS)", StringComparison.Ordinal)
                ? Emulation.Openat2Missing(instead)
                : $"fdpass serve cannot use openat2 here ({log[(log.LastIndexOf('(') + 1)..].TrimEnd(')')}: a seccomp filter, say); the openat(O_NOFOLLOW) walk is tested instead by {instead}");
        }
        Assert.Contains(expected, server.Log[0], StringComparison.Ordinal);
        return server;
    }

    /// <summary>
    /// Exchanges <paramref name="a"/> and <paramref name="b"/> under the root for <see cref="RaceSeconds"/> while
    /// four clients send requests; returns how many were answered with a descriptor (each given to <paramref name="check"/>).
    /// </summary>
    private int Race(string a, string b, Func<int, int, string> request, Func<SafeFileHandle, bool> check)
    {
        var start = new ProcessStartInfo(_swapper) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _tree.Root };
        start.ArgumentList.Add(a);
        start.ArgumentList.Add(b);
        start.ArgumentList.Add(RaceSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using Process swapper = TestProcesses.Start(start);
        int served = 0;
        Task[] clients = Enumerable.Range(0, 4).Select(client => Task.Run(() =>
        {
            using FdChannel channel = FdChannel.Connect(_tree.Endpoint);
            channel.Timeout = TimeSpan.FromSeconds(10);
            for (int i = 0; !swapper.HasExited; i++)
            {
                channel.SendRaw(System.Text.Encoding.UTF8.GetBytes(request(client, i)), ReadOnlySpan<int>.Empty);
                try
                {
                    using SafeFileHandle handle = channel.ReceiveDescriptor();
                    check(handle);
                    Interlocked.Increment(ref served);
                }
                catch (FdPeerErrorException)
                {
                    // Refused: the name was not what it should be at that moment, which is the point.
                }
            }
        })).ToArray();
        try
        {
            Task.WaitAll(clients, TimeSpan.FromSeconds(RaceSeconds + 30));
        }
        finally
        {
            if (!swapper.HasExited)
            {
                swapper.Kill();
            }
            swapper.WaitForExit();
        }
        Assert.True(swapper.ExitCode == 0, "the swapper failed: " + swapper.StandardError.ReadToEnd());
        Assert.All(clients, c => Assert.True(c.IsCompletedSuccessfully, c.Exception?.ToString()));
        return served;
    }
}
