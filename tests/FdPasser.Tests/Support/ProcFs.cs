using System;
using System.Collections.Generic;
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
    /// Every open descriptor number and what it refers to, but the runtime's own assembly files: the runtime opens
    /// one the first time a code path needs it (an assertion's, say) and keeps it for the life of the process.
    /// </summary>
    public static HashSet<string> Snapshot() =>
        new(Directory.GetFiles("/proc/self/fd")
            .Select(f => Path.GetFileName(f) + " -> " + Target(int.Parse(Path.GetFileName(f), CultureInfo.InvariantCulture)))
            .Where(entry => !entry.EndsWith(".dll", StringComparison.Ordinal))
            .Where(entry => !RuntimeOpensPipes || !entry.Contains(" -> pipe:[", StringComparison.Ordinal)));

    /// <summary>
    /// On linux-arm64 the runtime's unwinder checks memory through a pipe it opens when a thread first unwinds an
    /// exception, and under concurrent unwinding (thread-pool threads catching at once) it opens more than one and
    /// keeps them: dozens over a long run under qemu-user, at moments no test controls. Nothing in the library opens
    /// a pipe, so there pipes are left out of the count; on linux-x64, where the runtime opens none, they are counted.
    /// </summary>
    private static readonly bool RuntimeOpensPipes = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    /// <summary>
    /// Asserts no descriptor is open that was not open at <paramref name="baseline"/>, allowing a moment for
    /// another thread of the runtime or the test host to close one it opened briefly (a leak does not go away by
    /// waiting). Descriptors closed meanwhile (a finalized Process's pipes, say) do not matter.
    /// </summary>
    public static void AssertNoNewDescriptors(HashSet<string> baseline, int allowed = 0)
    {
        List<string> added = Snapshot().Except(baseline).ToList();
        for (int i = 0; i < 40 && added.Count > allowed; i++)
        {
            System.Threading.Thread.Sleep(25);
            added = Snapshot().Except(baseline).ToList();
        }
        Xunit.Assert.True(added.Count == allowed, $"expected {allowed} new descriptors, found {added.Count}: {string.Join("; ", added)}");
    }


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
