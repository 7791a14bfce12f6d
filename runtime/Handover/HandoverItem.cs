using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace FdPasser.Handover;

/// <summary>
/// One thing a generation offers its successor: a name, opaque state bytes and descriptors. The item borrows the
/// handles: sending references them only for the send, and the sender keeps owning them until a commit.
/// </summary>
public sealed class HandoverItem
{
    private readonly SafeHandle[] _descriptors;

    /// <summary>Creates an item.</summary>
    /// <param name="name">What the receiver takes the item for (UTF-8, at most <see cref="HandoverLimits.MaxNameBytes"/> bytes).</param>
    /// <param name="state">Opaque bytes the receiver needs to resume the item.</param>
    /// <param name="descriptors">The open descriptors that travel with it.</param>
    public HandoverItem(string name, ReadOnlyMemory<byte> state, params SafeHandle[] descriptors)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(descriptors);
        foreach (SafeHandle handle in descriptors)
        {
            ArgumentNullException.ThrowIfNull(handle, nameof(descriptors));
        }
        Name = name;
        State = state;
        _descriptors = (SafeHandle[])descriptors.Clone();
    }

    /// <summary>The item's name.</summary>
    public string Name { get; }

    /// <summary>The item's state bytes.</summary>
    public ReadOnlyMemory<byte> State { get; }

    /// <summary>The descriptors that travel with the item (borrowed, not owned).</summary>
    public IReadOnlyList<SafeHandle> Descriptors => _descriptors;

    internal SafeHandle[] DescriptorArray => _descriptors;
}
