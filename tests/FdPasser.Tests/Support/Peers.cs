using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading.Tasks;

namespace FdPasser.Tests.Support;

/// <summary>Starts the other process of a cross-process test and collects what it says.</summary>
internal static class Peers
{
    public static string TestPeerDll => Path.Combine(AppContext.BaseDirectory, "FdPasser.TestPeer.dll");

    public static Process StartTestPeer(params string[] args) =>
        Start("dotnet", new[] { TestPeerDll }.Concat(args).ToArray());

    public static Process Start(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + program);
    }

    /// <summary>Waits for the process (bounded) and returns its exit code and output.</summary>
    public static async Task<(int Exit, string Stdout, string Stderr)> FinishAsync(Process process, int timeoutSeconds = 60)
    {
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeoutSeconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} did not exit in {timeoutSeconds} s; stderr: {await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }

    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
}
