using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;

namespace FdPasser.Tests.Support;

/// <summary>What the kernel says about this process's descriptors, read from /proc (Linux).</summary>
internal static class ProcFs
{
    private const int O_CLOEXEC = 0x80000; // octal 02000000, as /proc/PID/fdinfo prints it

    public static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;

    /// <summary>
    /// Asserts the process has <paramref name="expected"/> descriptors open, allowing a moment for another thread
    /// of the runtime or the test host to close one it opened briefly (a leak does not go away by waiting).
    /// </summary>
    public static void AssertCount(int expected, string? baseline = null)
    {
        int actual = OpenDescriptorCount();
        for (int i = 0; i < 40 && actual != expected; i++)
        {
            System.Threading.Thread.Sleep(25);
            actual = OpenDescriptorCount();
        }
        Xunit.Assert.True(expected == actual, $"expected {expected} open descriptors, found {actual}:\n" +
            (baseline is null ? Listing() : "new: " + string.Join("; ", Listing().Split('\n').Except(baseline.Split('\n'))) +
                "\ngone: " + string.Join("; ", baseline.Split('\n').Except(Listing().Split('\n')))));
    }

    /// <summary>Every open descriptor and what it refers to, for failure messages.</summary>
    public static string Listing() =>
        string.Join("\n", Directory.GetFiles("/proc/self/fd")
            .Select(f => int.Parse(Path.GetFileName(f), CultureInfo.InvariantCulture))
            .OrderBy(n => n)
            .Select(n => $"{n} -> {Target(n)}"));

    public static bool IsCloseOnExec(int fd)
    {
        string flags = File.ReadAllLines($"/proc/self/fdinfo/{fd}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        int value = Convert.ToInt32(flags.Substring(6).Trim(), 8);
        return (value & O_CLOEXEC) != 0;
    }

    public static bool IsCloseOnExec(SafeHandle handle) => IsCloseOnExec((int)handle.DangerousGetHandle());

    /// <summary>What a descriptor refers to: a path, or "socket:[inode]", "pipe:[inode]".</summary>
    public static string Target(int fd) => new FileInfo($"/proc/self/fd/{fd}").LinkTarget ?? "";

    public static string Target(SafeHandle handle) => Target((int)handle.DangerousGetHandle());

    public static bool IsOpen(int fd) => File.Exists($"/proc/self/fd/{fd}") || Directory.Exists($"/proc/self/fd/{fd}");
}
