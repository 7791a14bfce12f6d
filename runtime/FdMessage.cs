using System;
using System.Runtime.CompilerServices;
using System.Threading;
using FdPasser.Platform;
using FdPasser.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FdPasser;

/// <summary>
/// A received message: its payload and the descriptors that came with it. The message owns every descriptor
/// until the caller takes it with <see cref="TakeDescriptor"/> or <see cref="TakeAllDescriptors"/>, which hand it
/// over as a <see cref="SafeFileHandle"/>; disposing the message closes the rest, so a descriptor nobody took cannot
/// leak, and a finalizer closes them should the message itself be forgotten.
/// </summary>
/// <remarks>
/// The members are safe to call from several threads: each descriptor goes to exactly one taker or is closed by
/// <see cref="Dispose"/>, never both.
/// </remarks>
public sealed class FdMessage : IDisposable
{
    // The received numbers, not handles: a SafeFileHandle is made only for a descriptor that is taken. The slots are
    // the receiving channel's and serve its next message once this one is disposed.
    // Every field counts: a receive allocates this object, and on a busy channel each byte allocated costs the
    // kernel's socket paths cache lines (docs/performance.md). So the payload is an array and a length (a payload
    // always starts at its array's first byte), and the slots know where they go back to.
    private readonly byte[] _payload;
    private readonly int _payloadLength;
    private readonly DescriptorSlots? _slots;
    private uint _generation;
    private readonly int _count;
    private int _disposed;

    private FdMessage(byte[] payload, int payloadLength, DescriptorSlots? slots, int count)
    {
        _payload = payload;
        _payloadLength = payloadLength;
        _slots = slots;
        _count = count;
    }

    /// <summary>
    /// A message of the first <paramref name="payloadLength"/> bytes of <paramref name="payload"/>, owning
    /// <paramref name="descriptors"/> (at least one) in <paramref name="slots"/> (new ones, or ones a disposed message
    /// gave back), which it gives back to the slots' home when disposed.
    /// </summary>
    internal static FdMessage Create(byte[] payload, int payloadLength, ReadOnlySpan<int> descriptors, DescriptorSlots slots)
    {
        var message = new FdMessage(payload, payloadLength, slots, descriptors.Length);
        // Last, so that nothing can fail once the slots own the numbers: the caller owns them until this returns.
        message._generation = slots.Fill(descriptors);
        return message;
    }

    /// <summary>A message owning <paramref name="descriptors"/>, closed through <paramref name="transport"/> where not taken.</summary>
    internal static FdMessage Create(byte[] payload, int payloadLength, ReadOnlySpan<int> descriptors, FdTransport transport) =>
        descriptors.IsEmpty
            ? new FdMessage(payload, payloadLength, null, 0)
            : Create(payload, payloadLength, descriptors, new DescriptorSlots(transport, home: null));

    /// <summary>The bytes that came with the descriptors.</summary>
    public ReadOnlyMemory<byte> Payload => new(_payload, 0, _payloadLength);

    /// <summary>How many descriptors arrived, taken or not.</summary>
    public int DescriptorCount => _count;

    /// <summary>Takes ownership of descriptor <paramref name="index"/>; each can be taken once.</summary>
    /// <exception cref="InvalidOperationException">It was taken already.</exception>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed it.</exception>
    public SafeFileHandle TakeDescriptor(int index)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _count);
        SafeFileHandle? handle = _slots!.TakeHandle(_generation, index);
        if (handle is null)
        {
            // A Dispose that ran since the check above closed it.
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            throw new InvalidOperationException($"Descriptor {index} of this message was taken already.");
        }
        return handle;
    }

    /// <summary>Takes every descriptor not yet taken, in order.</summary>
    /// <exception cref="ObjectDisposedException">The message was disposed, which closed them.</exception>
    public SafeFileHandle[] TakeAllDescriptors()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _count == 0 ? Array.Empty<SafeFileHandle>() : _slots!.TakeAllHandles(_generation, _count);
    }

    /// <summary>Closes every descriptor not taken.</summary>
    public void Dispose()
    {
        if (_slots is null || Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            Volatile.Write(ref _disposed, 1);
            return;
        }
        CloseUntaken(_slots);
    }

    // Not inlined: Dispose usually runs in a finally block, where the JIT would call close through a separate
    // marshalling stub instead of inlining the P/Invoke transition.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CloseUntaken(DescriptorSlots slots)
    {
        slots.CloseUntaken(_generation, _count);
        slots.Home?.GiveBack(slots);
    }
}
