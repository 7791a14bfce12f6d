using System;
using System.IO;
using FdPasser.Platform;
using FdPasser.Protocol;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

/// <summary>
/// The control-data parser on buffers built here: truncation, unknown types, oversized cmsg_len (as macOS
/// reports after MSG_CTRUNC), more descriptors than asked for. Whatever it rejects, it closes.
/// </summary>
public sealed class ControlParserTests : IDisposable
{
    private static readonly SocketTransport T = Transports.Socket;

    // The descriptors under test refer to a file of their own, and "closed" means no descriptor of the process refers
    // to it any more: a number the parser closed may be reused at once by the runtime (the file of an assembly it
    // maps the first time an assertion needs one; on linux-arm64 also the pipe it opens at the first caught
    // exception), so "is the number open" depends on which test ran first. Run first under qemu-aarch64, the two
    // numbers the truncated-data test had closed were System.Collections.Immutable.dll's when it looked.
    private readonly MarkedFile _marked = new();

    /// <summary>Fresh descriptors the parser may take ownership of.</summary>
    private int[] OpenDescriptors(int count)
    {
        var fds = new int[count];
        for (int i = 0; i < count; i++)
        {
            SafeFileHandle h = _marked.Open();
            fds[i] = (int)h.DangerousGetHandle();
            h.SetHandleAsInvalid(); // ownership moves to the buffer under test
        }
        return fds;
    }

    /// <summary>Asserts that none of the descriptors under test is open any more, naming those that are.</summary>
    private void AssertAllClosed() => Assert.Empty(_marked.OpenDescriptors());

    public void Dispose() => _marked.Dispose();

    /// <summary>Walks <paramref name="control"/> into an owner with room for <paramref name="room"/>; returns what the owner kept.</summary>
    private static ReceiveResult Parse(byte[] control, nuint reported, int flags, int room, out int[] kept)
    {
        var owner = new ReceivedDescriptors(T, 16);
        ReceiveResult r = T.ParseControl(control, reported, flags, owner.Room(room));
        Assert.Equal(r.Descriptors, owner.Count);
        kept = new int[owner.Count];
        owner.HandOver(kept);
        return r;
    }

    private static byte[] Rights(params int[] fds)
    {
        byte[] control = new byte[T.CmsgSpace(fds.Length * 4)];
        T.WriteCmsgHeader(control, T.CmsgLen(fds.Length * 4), T.Constants.SOL_SOCKET, T.Constants.SCM_RIGHTS);
        for (int i = 0; i < fds.Length; i++)
        {
            BitConverter.TryWriteBytes(control.AsSpan(T.CmsgLen(0) + (i * 4)), fds[i]);
        }
        return control;
    }

    [Fact]
    public void A_well_formed_rights_message_yields_its_descriptors()
    {
        int[] fds = OpenDescriptors(3);
        byte[] control = Rights(fds);
        ReceiveResult r = Parse(control, (nuint)control.Length, 0, 8, out int[] taken);
        Assert.Equal(ControlProblem.None, r.Problem);
        Assert.Equal(3, r.Descriptors);
        Assert.Equal(fds, taken);
        Assert.Equal(3, _marked.OpenCount());
        foreach (int fd in fds)
        {
            FdHandles.Close(fd);
        }
    }

    [Fact]
    public void Truncated_control_data_closes_every_descriptor_that_arrived()
    {
        int[] fds = OpenDescriptors(2);
        byte[] control = Rights(fds);
        ReceiveResult r = Parse(control, (nuint)control.Length, T.Constants.MSG_CTRUNC, 8, out _);
        Assert.Equal(ControlProblem.Truncated, r.Problem);
        Assert.Equal(2, r.Closed);
        Assert.Equal(0, r.Descriptors);
        AssertAllClosed();
    }

    [Fact]
    public void More_descriptors_than_asked_for_are_all_closed()
    {
        int[] fds = OpenDescriptors(3);
        byte[] control = Rights(fds);
        ReceiveResult r = Parse(control, (nuint)control.Length, 0, 2, out _);
        Assert.Equal(ControlProblem.TooMany, r.Problem);
        Assert.Equal(3, r.Closed);
        AssertAllClosed();
    }

    [Fact]
    public void An_unknown_control_message_is_rejected_and_descriptors_beside_it_closed()
    {
        int[] fds = OpenDescriptors(1);
        byte[] rights = Rights(fds);
        byte[] control = new byte[rights.Length + T.CmsgSpace(12)];
        rights.CopyTo(control, 0);
        T.WriteCmsgHeader(control.AsSpan(rights.Length), T.CmsgLen(12), T.Constants.SOL_SOCKET, 2 /* SCM_CREDENTIALS */);
        ReceiveResult r = Parse(control, (nuint)control.Length, 0, 8, out _);
        Assert.Equal(ControlProblem.UnknownType, r.Problem);
        Assert.Equal(2, r.UnknownType);
        Assert.Equal(1, r.Closed);
        AssertAllClosed();
    }

    [Fact]
    public void A_cmsg_len_past_the_buffer_is_clamped_not_followed()
    {
        int[] fds = OpenDescriptors(2);
        byte[] control = Rights(fds);
        // As macOS reports after MSG_CTRUNC: cmsg_len and msg_controllen larger than what was delivered.
        T.WriteCmsgHeader(control, T.CmsgLen(100 * 4), T.Constants.SOL_SOCKET, T.Constants.SCM_RIGHTS);
        ReceiveResult r = Parse(control, (nuint)(control.Length + 400), T.Constants.MSG_CTRUNC, 8, out _);
        Assert.Equal(ControlProblem.Truncated, r.Problem);
        Assert.Equal(2, r.Closed);
        AssertAllClosed();
    }

    [Fact]
    public void Padding_read_through_an_overstated_cmsg_len_is_never_taken_for_a_descriptor()
    {
        int[] fds = OpenDescriptors(1);
        byte[] control = Rights(fds);
        // The receive path fills its buffer with 0xFF before recvmsg: what the kernel did not write reads as -1.
        control.AsSpan(T.CmsgLen(4)).Fill(0xFF);
        Assert.True(control.Length > T.CmsgLen(4), "64-bit Linux pads one descriptor to 8 bytes");
        T.WriteCmsgHeader(control, T.CmsgLen(64), T.Constants.SOL_SOCKET, T.Constants.SCM_RIGHTS);
        ReceiveResult r = Parse(control, (nuint)control.Length + 64, T.Constants.MSG_CTRUNC, 8, out _);
        Assert.Equal(ControlProblem.Truncated, r.Problem);
        Assert.Equal(1, r.Closed);
        AssertAllClosed();
    }

    [Fact]
    public void A_cmsg_len_shorter_than_a_header_is_malformed_and_closes_what_came_before_it()
    {
        int[] fds = OpenDescriptors(1);
        byte[] rights = Rights(fds);
        byte[] control = new byte[rights.Length + T.CmsgSpace(4)];
        rights.CopyTo(control, 0);
        T.WriteCmsgHeader(control.AsSpan(rights.Length), 3, T.Constants.SOL_SOCKET, T.Constants.SCM_RIGHTS);
        ReceiveResult r = Parse(control, (nuint)control.Length, 0, 8, out _);
        Assert.Equal(ControlProblem.Malformed, r.Problem);
        Assert.Equal(1, r.Closed);
        AssertAllClosed();
    }

    [Fact]
    public void Empty_control_data_yields_nothing()
    {
        ReceiveResult r = Parse(Array.Empty<byte>(), 0, 0, 1, out _);
        Assert.Equal(ControlProblem.None, r.Problem);
        Assert.Equal(0, r.Descriptors);
    }
}
