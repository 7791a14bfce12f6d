using System;
using System.Runtime.InteropServices;
using FdPasser.Interop;

namespace FdPasser.Platform;

internal static partial class PlatformSelection
{
    /// <summary>The choice for this process.</summary>
    public static PlatformChoice Current()
    {
        Architecture architecture = RuntimeInformation.ProcessArchitecture;
        string os = AbiTargets.CurrentOs() ?? RuntimeInformation.OSDescription;
        return Select(os, architecture, ProcessLibc(os, architecture));
    }

    /// <summary>
    /// Which of several targets for this OS and architecture (glibc or musl) the process runs on, or null where there
    /// is no choice to make. A runtime built for the second or a later C library says so in its RID (the first one's
    /// RID is also what portable builds report on any); otherwise the first whose C library loads, else the last.
    /// </summary>
    private static string? ProcessLibc(string os, Architecture architecture)
    {
        AbiTargetInfo? last = null;
        int count = 0;
        foreach (AbiTargetInfo t in AbiTargets.All)
        {
            if (t.Os != os || t.Architecture != architecture)
            {
                continue;
            }
            if (count > 0 && t.Rid == RuntimeInformation.RuntimeIdentifier)
            {
                return t.Libc;
            }
            last = t;
            count++;
        }
        if (count < 2)
        {
            return null;
        }
        foreach (AbiTargetInfo t in AbiTargets.All)
        {
            if (t.Os == os && t.Architecture == architecture && NativeLibrary.TryLoad(t.LibcLibrary, out IntPtr handle))
            {
                NativeLibrary.Free(handle);
                return t.Libc;
            }
        }
        return last!.Libc;
    }
}
