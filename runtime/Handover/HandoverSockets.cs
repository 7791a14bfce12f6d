using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FdPasser.Handover;

internal static class HandoverSockets
{
    /// <summary>Moves a descriptor from any handle into a socket handle that owns it; the given handle no longer does.</summary>
    public static SafeSocketHandle Own(SafeHandle handle)
    {
        if (handle is SafeSocketHandle socket)
        {
            return socket;
        }
        var owned = new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: true);
        handle.SetHandleAsInvalid();
        return owned;
    }
}
