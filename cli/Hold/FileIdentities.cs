using System.Runtime.InteropServices;
using FdPasser.Platform;

namespace FdPasser.Cli.Hold;

/// <summary>Which file a descriptor is (fstat: st_dev, st_ino), so the store keeps a file once however often it is stored.</summary>
internal static class FileIdentities
{
    /// <exception cref="FdPassingException">fstat failed (errno named).</exception>
    public static FileIdentity Of(SafeHandle handle)
    {
        (ulong device, ulong inode) = PosixNatives.Current.Identify(handle);
        return new FileIdentity(device, inode);
    }
}
