using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading.Tasks;
using FdPasser.TestSupport;

namespace FdPasser.Cli.Tests.Infrastructure;

internal sealed record RunResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}

/// <summary>Runs a program to its end with its output captured.</summary>
internal static class Exec
{
    public static RunResult Run(string file, IEnumerable<string> args, string? stdin = null, string? workingDirectory = null, int timeoutSeconds = 60)
    {
        var start = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using Process process = TestProcesses.Start(start);
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }
        process.StandardInput.Close();
        if (!process.WaitForExit(TestTiming.Seconds(timeoutSeconds)))
        {
            process.Kill();
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {TestTiming.Seconds(timeoutSeconds).TotalSeconds} s");
        }
        process.WaitForExit();
        return new RunResult(process.ExitCode, stdout.Result, stderr.Result);
    }
}
