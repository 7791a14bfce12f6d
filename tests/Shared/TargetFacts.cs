using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace FdPasser.TestSupport;

/// <summary>
/// Facts of the target the tests run on (linux-x64 natively, linux-arm64 under emulation, ...), read from its ABI
/// file (<c>abi/&lt;rid&gt;.abi</c>, copied beside the tests) rather than written into the tests as x64's values.
/// </summary>
internal static class TargetFacts
{
    /// <summary>The RID of the running process, composed the way the ABI files are named.</summary>
    public static string RuntimeIdentifier { get; } = Compose();

    /// <summary>The most descriptors one message can carry (<c>max-fds</c>; SCM_MAX_FD on Linux).</summary>
    public static int MaxDescriptorsPerMessage => int.Parse(Fact("max-fds"), CultureInfo.InvariantCulture);

    private static string Compose()
    {
        // The suites that read these facts run on Linux only (their assemblies say so).
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("the tests run on Linux, not " + RuntimeInformation.OSDescription);
        }
        // Musl builds of .NET report linux-musl-<arch>; glibc ones linux-<arch>.
        string libc = RuntimeInformation.RuntimeIdentifier.Contains("-musl-", StringComparison.Ordinal) ? "musl-" : "";
        return $"linux-{libc}{RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant()}";
    }

    private static string Fact(string key)
    {
        string file = Path.Combine(AppContext.BaseDirectory, "abi", RuntimeIdentifier + ".abi");
        string? line = File.ReadLines(file)
            .Select(l => l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(words => words.Length == 2 && words[0] == key)
            .Select(words => words[1])
            .FirstOrDefault();
        return line ?? throw new InvalidDataException($"{file} has no '{key}' line");
    }
}
