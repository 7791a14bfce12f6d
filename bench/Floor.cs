using System;
using System.Runtime.InteropServices;

namespace FdPasser.Bench;

/// <summary>
/// The .NET floor of pass-K (<c>quick --api floor</c>): bench/c/pass.c's three calls, sendmsg, recvmsg and close,
/// made from .NET through P/Invoke with errno captured as the generated stubs capture it, and nothing else: no
/// handles, no checks beyond pass.c's, no protocol. bench/c/floor.c, built as a shared library, builds pass.c's two
/// messages once from the system headers and hands over the function pointers. The gap between this row and C is
/// what the runtime costs any .NET program; what FdPasser's rows add above it is the library's.
/// </summary>
internal sealed unsafe class FloorWorkload
{
    // bench/c/floor.c's struct floor_calls, field for field.
    [StructLayout(LayoutKind.Sequential)]
    private struct Calls
    {
        public delegate* unmanaged<int, void*, int, nint> SendMsg;
        public delegate* unmanaged<int, void*, int, nint> RecvMsg;
        public delegate* unmanaged<int, int> Close;
        public int SendFlags;
        public int RecvFlags;
        public void* Send;
        public void* Recv;
        public nuint* RecvControlLength;
        public nuint RecvControlSpace;
        public nuint* RecvCmsgLength;
        public nuint CmsgLengthEmpty;
        public int* Received;
        public int* RecvMsgFlags;
        public int CTrunc;
        public int EIntr;
    }

    /// <summary>A page and a cache line: each touch on a page of its own, at a different cache set.</summary>
    public const int DefaultStride = 4096 + 64;

    private readonly Calls _calls;
    private readonly int _sender;
    private readonly int _receiver;
    private readonly int _descriptors;
    private readonly byte[] _memory;
    private readonly int _touch;
    private readonly int _stride;

    /// <param name="touch">
    /// Bytes of a private array to write between sendmsg and recvmsg, <paramref name="stride"/> bytes apart: what
    /// memory a program touches between its system calls costs on this machine (docs/performance.md, "The .NET floor,
    /// and what memory costs between system calls here"). A stride of 64 touches that many cache lines of few pages; the page size plus 64
    /// touches as many pages, each at a different cache set.
    /// </param>
    public FloorWorkload(string library, PassWorkload pass, int touch = 0, int stride = DefaultStride)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(touch);
        ArgumentOutOfRangeException.ThrowIfLessThan(stride, 1);
        _touch = touch;
        _stride = stride;
        _memory = new byte[touch * stride + 1];
        nint handle = NativeLibrary.Load(library);
        var create = (delegate* unmanaged<int, int, Calls*, int>)NativeLibrary.GetExport(handle, "floor_create");
        Calls calls;
        if (create(pass.Descriptors, (int)pass.DevNull.DangerousGetHandle(), &calls) != 0)
        {
            throw new InvalidOperationException($"floor_create refused {pass.Descriptors} descriptors.");
        }
        _calls = calls;
        _sender = pass.Sender.Descriptor;
        _receiver = pass.Receiver.Descriptor;
        _descriptors = pass.Descriptors;
    }

    /// <summary>One message, as pass.c's pass(): sendmsg, recvmsg, K × close.</summary>
    public void Pass()
    {
        nint n;
        int errno;
        do
        {
            Marshal.SetLastSystemError(0);
            n = _calls.SendMsg(_sender, _calls.Send, _calls.SendFlags);
            errno = Marshal.GetLastSystemError();
        }
        while (n < 0 && errno == _calls.EIntr);
        if (n != 1)
        {
            throw new InvalidOperationException($"sendmsg returned {n}, errno {errno}.");
        }
        for (int i = 0; i < _touch; i++)
        {
            _memory[i * _stride]++;
        }
        *_calls.RecvControlLength = _calls.RecvControlSpace;
        do
        {
            Marshal.SetLastSystemError(0);
            n = _calls.RecvMsg(_receiver, _calls.Recv, _calls.RecvFlags);
            errno = Marshal.GetLastSystemError();
        }
        while (n < 0 && errno == _calls.EIntr);
        if (n != 1 || (*_calls.RecvMsgFlags & _calls.CTrunc) != 0)
        {
            throw new InvalidOperationException($"recvmsg returned {n}, errno {errno}, flags {*_calls.RecvMsgFlags}.");
        }
        int count = *_calls.RecvControlLength == 0 ? 0 : (int)((*_calls.RecvCmsgLength - _calls.CmsgLengthEmpty) / sizeof(int));
        for (int i = 0; i < count; i++)
        {
            Marshal.SetLastSystemError(0);
            _calls.Close(_calls.Received[i]);
            Marshal.GetLastSystemError();
        }
        if (count != _descriptors)
        {
            throw new InvalidOperationException($"Expected {_descriptors} descriptor(s), got {count}.");
        }
    }
}
