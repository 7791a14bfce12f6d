using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.TestSupport;

namespace FdPasser.Tests.Support;

/// <summary>Starts the other process of a cross-process test and collects what it says.</summary>
internal static class Peers
{
    private static string TestPeerDll => Path.Combine(AppContext.BaseDirectory, "FdPasser.TestPeer.dll");

    /// <summary>The command line that starts the test peer: the target's executable peer, or dotnet and its dll.</summary>
    public static string[] TestPeerCommand =>
        TestPrograms.TestPeer is { } peer ? new[] { peer } : new[] { "dotnet", TestPeerDll };

    public static Process StartTestPeer(params string[] args)
    {
        string[] command = TestPeerCommand;
        return Start(command[0], command.Skip(1).Concat(args).ToArray());
    }

    public static Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return TestProcesses.Start(psi);
    }

    /// <summary>
    /// Accepts the connection of <paramref name="peer"/>, bounded: a peer that exits first, or never connects, fails
    /// the test with what it said instead of leaving the accept waiting for ever.
    /// </summary>
    public static async Task<FdConnection> AcceptFromAsync(FdListener listener, Process peer, int timeoutSeconds = 60)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        stop.CancelAfter(TestTiming.Seconds(timeoutSeconds));
        Task<FdConnection> accept = listener.AcceptAsync(stop.Token).AsTask();
        Task exited = peer.WaitForExitAsync(stop.Token);
        await Task.WhenAny(accept, exited);
        if (!accept.IsCompleted)
        {
            // A peer that connects, sends and exits at once leaves its connection in the backlog: the exit can be
            // seen before the accept is, so give the accept a moment before calling the peer silent.
            await Task.WhenAny(accept, Task.Delay(TestTiming.Seconds(5), TestContext.Current.CancellationToken));
        }
        if (accept.IsCompletedSuccessfully)
        {
            return accept.Result;
        }
        stop.Cancel();
        string said = peer.HasExited ? $"exited {peer.ExitCode}; stderr: {await peer.StandardError.ReadToEndAsync()}" : $"did not connect in {TestTiming.Seconds(timeoutSeconds).TotalSeconds} s";
        throw new InvalidOperationException($"{peer.StartInfo.FileName} {said}");
    }

    /// <summary>Waits for the process (bounded) and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> FinishAsync(Process process, int timeoutSeconds = 60)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TestTiming.Seconds(timeoutSeconds)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not exit in {TestTiming.Seconds(timeoutSeconds).TotalSeconds} s; stderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
