using System;
using System.IO;
using System.Net.Sockets;
using FdPasser.Interop;
using FdPasser.Platform;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>Turns received descriptors into the .NET objects that use them.</summary>
public static class FdHandles
{
    /// <summary>
    /// The access a descriptor was opened with, from its open flags (<c>fcntl(F_GETFL)</c>): the seed's
    /// get_fopen_mode. O_RDONLY is Read, O_WRONLY Write, O_RDWR ReadWrite.
    /// </summary>
    public static FileAccess GetAccess(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        FileCalls files = Target.Current.Files;
        PlatformConstants c = files.Constants;
        int mode = files.GetStatusFlags(handle) & c.O_ACCMODE;
        if (mode == c.O_RDONLY)
        {
            return FileAccess.Read;
        }
        return mode == c.O_WRONLY ? FileAccess.Write : FileAccess.ReadWrite;
    }

    /// <summary>True where the descriptor was opened with O_APPEND (the seed's "a" modes).</summary>
    public static bool IsAppend(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        FileCalls files = Target.Current.Files;
        return (files.GetStatusFlags(handle) & files.Constants.O_APPEND) != 0;
    }

    /// <summary>
    /// A <see cref="FileStream"/> over a received descriptor, with the access it was opened with. The stream
    /// owns the handle from now on. Works for files, pipes and FIFOs; for a socket use <see cref="ToSocket"/>.
    /// </summary>
    public static FileStream ToFileStream(SafeFileHandle handle, int bufferSize = 0)
    {
        FileAccess access = GetAccess(handle);
        return new FileStream(handle, access, bufferSize);
    }

    /// <summary>A <see cref="Socket"/> over a received socket descriptor; the socket owns it from now on.</summary>
    /// <exception cref="ArgumentException">The descriptor is not a socket.</exception>
    public static Socket ToSocket(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        SocketTransport t = Target.Current.Sockets;
        if (t.GetSocketType(handle, out int errno) < 0)
        {
            throw new ArgumentException($"The descriptor is not a socket: getsockopt(SO_TYPE) gave {t.ErrnoName(errno) ?? errno.ToString()}.", nameof(handle));
        }
        // Ownership moves to the socket handle: the file handle must never close the number again.
        var socketHandle = new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: true);
        handle.SetHandleAsInvalid();
        try
        {
            return new Socket(socketHandle);
        }
        catch
        {
            socketHandle.Dispose();
            throw;
        }
    }

    /// <summary>Closes a raw descriptor number received with <see cref="FdChannel.ReceiveRaw(Span{byte}, Span{int}, out int)"/>.</summary>
    public static void Close(int descriptor)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(descriptor);
        Target.Current.Sockets.CloseDescriptor(descriptor);
    }
}
