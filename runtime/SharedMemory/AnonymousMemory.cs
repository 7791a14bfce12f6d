using System;
using System.Security.Cryptography;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>
/// Memory-backed files with no name in any filesystem: the usual way to keep state in a service manager's
/// descriptor store across restarts, or to hand a large buffer to another process. Linux (and FreeBSD 13+) use
/// <c>memfd_create</c> with MFD_CLOEXEC and optional sealing; elsewhere a shared-memory object is created with
/// <c>shm_open</c> and its name removed at once.
/// </summary>
public static class AnonymousMemory
{
    /// <summary>True where memory files come from <c>memfd_create</c> (and may be sealed).</summary>
    public static bool IsMemfd => Target.Current.Memory.HasMemfd;

    /// <summary>The longest name <see cref="Create"/> takes, in UTF-8 bytes: memfd_create's limit (NAME_MAX less "memfd:").</summary>
    public const int MaxNameBytes = 249;

    /// <summary>
    /// Creates a memory file of <paramref name="size"/> bytes (zero-filled), close-on-exec. <paramref name="name"/>
    /// only labels it (in /proc/PID/fd); <paramref name="allowSealing"/> lets <see cref="Seal"/> be used on it later.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty, holds '/' or NUL, or is longer than <see cref="MaxNameBytes"/> bytes in UTF-8.</exception>
    /// <exception cref="PlatformNotSupportedException">Sealing was asked for where there is no memfd.</exception>
    /// <exception cref="FdPassingException">The system refused (errno named: EMFILE, ENOMEM…).</exception>
    public static SafeFileHandle Create(string name, long size = 0, bool allowSealing = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        if (name.Contains('/') || name.Contains('\0'))
        {
            throw new ArgumentException("A memory file's name may not contain '/' or NUL.", nameof(name));
        }
        int bytes = System.Text.Encoding.UTF8.GetByteCount(name);
        if (bytes > MaxNameBytes)
        {
            throw new ArgumentException($"A memory file's name may be at most {MaxNameBytes} bytes in UTF-8 (memfd_create's limit: 255 with the \"memfd:\" prefix); this one is {bytes}.", nameof(name));
        }
        Target native = Target.Current;
        SafeFileHandle handle;
        if (native.Memory.HasMemfd)
        {
            handle = native.Memory.CreateMemfd(name, allowSealing);
        }
        else if (allowSealing)
        {
            throw new PlatformNotSupportedException($"Sealable memory files need memfd_create, which {native.Constants.Rid} does not have.");
        }
        else
        {
            // A random name, removed as soon as it is open: nothing else can find it, and nothing is left behind.
            handle = native.Memory.CreateUnlinkedSharedMemory("/" + name + "-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(8)));
        }
        try
        {
            if (size > 0)
            {
                native.Memory.Truncate(handle, size);
            }
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Adds <paramref name="seals"/> to a memory file created with <c>allowSealing</c>.</summary>
    /// <exception cref="FdPassingException">fcntl(F_ADD_SEALS) refused (EPERM: sealing not allowed or F_SEAL_SEAL set; EBUSY: writable mappings exist).</exception>
    public static void Seal(SafeFileHandle handle, MemorySeals seals)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Target native = Target.Current;
        native.Memory.AddSeals(handle, native.Memory.SealBits(seals));
    }

    /// <summary>The seals set on a memory file.</summary>
    public static MemorySeals GetSeals(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        Target native = Target.Current;
        return native.Memory.SealsFromBits(native.Memory.GetSeals(handle));
    }
}
