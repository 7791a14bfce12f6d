using System;

namespace FdPasser.Handover;

/// <summary>
/// Bounds on what a peer can make this side allocate, adopt or wait for. A receiver checks every count and size a
/// peer announces against these before it allocates or keeps anything; a sender checks its own offer against them.
/// The defaults are safe for a server handing over tens of thousands of connections.
/// </summary>
public sealed class HandoverLimits
{
    /// <summary>The most items one offer may hold: 65,536 by default.</summary>
    public int MaxItems { get; init => field = Check(value, 1, int.MaxValue); } = 65_536;

    /// <summary>The longest item name in UTF-8 bytes: 255 by default, at most 1,024.</summary>
    public int MaxNameBytes { get; init => field = Check(value, 0, HandoverWire.MaxNameBytes); } = 255;

    /// <summary>The most state bytes of one item: 1 MiB by default.</summary>
    public int MaxStateBytesPerItem { get; init => field = Check(value, 0, int.MaxValue); } = 1 << 20;

    /// <summary>The most state bytes of all items of an offer together: 64 MiB by default.</summary>
    public long MaxTotalStateBytes
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            field = value;
        }
    } = 64L << 20;

    /// <summary>The most descriptors of one item: 16 by default, at most 253 (one message's worth).</summary>
    public int MaxDescriptorsPerItem { get; init => field = Check(value, 0, HandoverWire.MaxDescriptorsPerMessage); } = 16;

    /// <summary>The most descriptors of all items of an offer together: 65,536 by default.</summary>
    public int MaxTotalDescriptors { get; init => field = Check(value, 0, int.MaxValue); } = 65_536;

    /// <summary>How long each wait on the peer may take: 10 seconds by default.</summary>
    public TimeSpan Timeout
    {
        get;
        init
        {
            if (value <= TimeSpan.Zero && value != System.Threading.Timeout.InfiniteTimeSpan)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "The timeout must be positive or infinite.");
            }
            field = value;
        }
    } = TimeSpan.FromSeconds(10);

    /// <summary>The defaults.</summary>
    public static HandoverLimits Default { get; } = new();

    private static int Check(int value, int min, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, min);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(value, max);
        return value;
    }
}
