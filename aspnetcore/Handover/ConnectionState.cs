using System;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// A handed-over connection's state bytes: a version byte (1), then the bytes the predecessor had read from the
/// socket but Kestrel had not consumed (the start of the next request, where the client had begun sending it).
/// </summary>
internal static class ConnectionState
{
    public const byte Version = 1;

    public static byte[] Encode(ReadOnlySpan<byte> unread)
    {
        byte[] state = new byte[1 + unread.Length];
        state[0] = Version;
        unread.CopyTo(state.AsSpan(1));
        return state;
    }

    /// <summary>The unread bytes, or null for a state this version does not know (the item is then not adopted).</summary>
    public static byte[]? Decode(ReadOnlySpan<byte> state) =>
        state.Length >= 1 && state[0] == Version ? state[1..].ToArray() : null;
}
