using System;
using System.Diagnostics;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Threading;

namespace FdPasser.Bench;

/// <summary>The second process of the xproc workload, and how the benchmark starts and reaches it.</summary>
internal static class CrossProcessPeer
{
    public const string Command = "xproc-server";

    /// <summary>Listens at <paramref name="path"/>, accepts one client, and answers every message with one byte after closing its descriptors.</summary>
    public static int Serve(string path)
    {
        using FdListener listener = FdListener.Create(path);
        using FdChannel channel = listener.Accept().Channel;
        byte[] buffer = new byte[1];
        int[] received = new int[channel.MaxDescriptorsPerMessage];
        byte[] answer = { 2 };
        while (true)
        {
            int n = channel.ReceiveRaw(buffer, received, out int count);
            if (n == 0)
            {
                return 0;
            }
            for (int i = 0; i < count; i++)
            {
                FdHandles.Close(received[i]);
            }
            channel.SendRaw(answer, ReadOnlySpan<int>.Empty);
        }
    }

    /// <summary>
    /// Starts this program as the server. BenchmarkDotNet runs benchmarks in a generated host program, so the
    /// server is started with the dotnet host on this assembly, with this program's runtime configuration where
    /// it was copied along and the host's otherwise.
    /// </summary>
    public static Process Start(string path)
    {
        string assembly = typeof(CrossProcessPeer).Assembly.Location;
        string dotnet = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        string config = Path.ChangeExtension(assembly, ".runtimeconfig.json");
        if (!File.Exists(config) && Assembly.GetEntryAssembly()?.Location is { Length: > 0 } entry)
        {
            config = Path.ChangeExtension(entry, ".runtimeconfig.json");
        }
        var start = new ProcessStartInfo(dotnet) { UseShellExecute = false };
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add("--runtimeconfig");
        start.ArgumentList.Add(config);
        start.ArgumentList.Add(assembly);
        start.ArgumentList.Add(Command);
        start.ArgumentList.Add(path);
        return Process.Start(start) ?? throw new InvalidOperationException($"Could not start {dotnet}.");
    }

    /// <summary>Connects once the server listens (it needs a moment to start); fails if it exits first.</summary>
    public static FdChannel ConnectWhenReady(string path, Process server)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (File.Exists(path))
            {
                try
                {
                    return FdChannel.Connect(path);
                }
                catch (FdPassingException) when (clock.Elapsed < TimeSpan.FromSeconds(30))
                {
                    // bound but not yet listening
                }
            }
            if (server.HasExited)
            {
                throw new InvalidOperationException($"The xproc server exited with code {server.ExitCode} before listening.");
            }
            if (clock.Elapsed > TimeSpan.FromSeconds(30))
            {
                throw new TimeoutException("The xproc server did not listen within 30 s.");
            }
            Thread.Sleep(10);
        }
    }
}
