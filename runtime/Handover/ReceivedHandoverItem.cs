using System;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Handover;

/// <summary>An item as received: its name, state and descriptors, which its <see cref="HandoverOffer"/> owns until taken.</summary>
public sealed class ReceivedHandoverItem
{
    private readonly FdMessage? _message;
    private readonly int _first;

    internal ReceivedHandoverItem(string name, byte[] state, FdMessage? message, int first, int count)
    {
        Name = name;
        State = state;
        _message = message;
        _first = first;
        DescriptorCount = count;
    }

    /// <summary>The item's name.</summary>
    public string Name { get; }

    /// <summary>The item's state bytes.</summary>
    public ReadOnlyMemory<byte> State { get; }

    /// <summary>How many descriptors came with the item.</summary>
    public int DescriptorCount { get; }

    /// <summary>Takes ownership of descriptor <paramref name="index"/> of the item; each can be taken once.</summary>
    /// <exception cref="InvalidOperationException">It was taken already.</exception>
    /// <exception cref="ObjectDisposedException">The offer was disposed, which closed it.</exception>
    public SafeFileHandle TakeDescriptor(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, DescriptorCount);
        return _message!.TakeDescriptor(_first + index);
    }
}
