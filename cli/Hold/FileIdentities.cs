using System;
using System.Runtime.InteropServices;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// Whether two descriptors are one open file, so the store keeps a file once however often it is stored. As systemd
/// (same_fd()), kcmp(KCMP_FILE) decides: eventfds, timerfds, epoll and signalfd descriptors all share one inode, so
/// st_dev/st_ino would take different ones for the same. fstat's st_dev and st_ino decide only where kcmp cannot be
/// called (ENOSYS: a kernel without it; EPERM: refused by a security module).
/// </summary>
internal static class FileIdentities
{
    /// <exception cref="FdPassingException">fstat failed (errno named).</exception>
    public static FileIdentity Of(SafeHandle handle)
    {
        (ulong device, ulong inode) = CliTarget.Current.Files.Identify(handle);
        return new FileIdentity(device, inode);
    }

    /// <summary>Whether <paramref name="a"/> and <paramref name="b"/>, both this process's, are one open file. Never throws.</summary>
    public static bool Same(SafeHandle a, FileIdentity aIdentity, SafeHandle b, FileIdentity bIdentity)
    {
        if (aIdentity != bIdentity)
        {
            return false; // another inode is never the same open file
        }
        bool addedA = false, addedB = false;
        try
        {
            a.DangerousAddRef(ref addedA);
            b.DangerousAddRef(ref addedB);
            int self = Environment.ProcessId;
            int result = CliTarget.Current.Processes.CompareOpenFiles(self, (int)a.DangerousGetHandle(), self, (int)b.DangerousGetHandle(), out _);
            if (result >= 0)
            {
                return result == 0;
            }
            // ENOSYS or EPERM (anything else cannot happen for two descriptors this process holds open): the inode
            // is all that can be compared here.
            return true;
        }
        finally
        {
            if (addedB)
            {
                b.DangerousRelease();
            }
            if (addedA)
            {
                a.DangerousRelease();
            }
        }
    }
}
