using System;
using System.IO;
using System.Linq;
using System.Reflection;

namespace FdPasser.AspNetCore.Tests.Infrastructure;

/// <summary>The programs the tests run: the sample as built (its dll) and fdpass beside the tests.</summary>
internal static class Paths
{
    public static string Sample { get; } = typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "KestrelHoldSample").Value!;

    /// <summary>The sample's project folder and the configuration its dll was built in, for <c>dotnet run --no-build</c>.</summary>
    public static string SampleProject { get; } = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(Sample)!, "..", "..", ".."));

    public static string SampleConfiguration { get; } = Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(Sample)!)!);

    public static string Fdpass { get; } = Path.Combine(AppContext.BaseDirectory, "fdpass");

    /// <summary>A free loopback TCP port (the kernel's pick, released at once).</summary>
    public static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
