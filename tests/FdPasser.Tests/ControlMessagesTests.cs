using System;
using System.Collections.Generic;
using FdPasser.Platform;
using FdPasser.Protocol;
using FdPasser.Tests.Support;

namespace FdPasser.Tests;

/// <summary>
/// The control-message walker on buffers crafted here in the running target's layout (its cmsghdr, CMSG_ALIGN and
/// ucred, from the generated ABI): the walker only reads, so the descriptor numbers in these buffers are made up.
/// </summary>
public sealed class ControlMessagesTests
{
    private static readonly SocketTransport T = Transports.Socket;
    private static readonly IControlProbe Probe = ControlProbe.ForThisTarget();

    private static int SolSocket => T.Constants.SOL_SOCKET;

    private static int ScmRights => T.Constants.SCM_RIGHTS;

    /// <summary>One control message: a header of cmsg_len <paramref name="length"/> (CMSG_LEN of the payload unless given) and padding to CMSG_SPACE.</summary>
    private static byte[] Message(int level, int type, ReadOnlySpan<byte> payload, int? length = null)
    {
        byte[] bytes = new byte[T.CmsgSpace(payload.Length)];
        T.WriteCmsgHeader(bytes, length ?? T.CmsgLen(payload.Length), level, type);
        payload.CopyTo(bytes.AsSpan(T.CmsgLen(0)));
        return bytes;
    }

    private static byte[] Ints(params int[] values)
    {
        byte[] bytes = new byte[values.Length * sizeof(int)];
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * sizeof(int)), values[i]);
        }
        return bytes;
    }

    private static byte[] Concat(params byte[][] parts)
    {
        var all = new List<byte>();
        foreach (byte[] part in parts)
        {
            all.AddRange(part);
        }
        return all.ToArray();
    }

    private static WalkResult Walk(byte[] control, int flags = 0, int? reported = null) =>
        Probe.Walk(control, (nuint)(reported ?? control.Length), flags);

    [Fact]
    public void Several_rights_messages_are_yielded_in_order_with_their_numbers()
    {
        byte[] control = Concat(Message(SolSocket, ScmRights, Ints(1001, 1002)), Message(SolSocket, ScmRights, Ints(1003)));
        WalkResult r = Walk(control);
        Assert.False(r.Truncated);
        Assert.False(r.Malformed);
        Assert.Equal(2, r.Items.Count);
        Assert.All(r.Items, item => Assert.Equal(ControlMessageKind.Rights, item.Kind));
        Assert.Equal(new[] { 1001, 1002 }, r.Items[0].Descriptors);
        Assert.Equal(new[] { 1003 }, r.Items[1].Descriptors);
    }

    [Fact]
    public void An_unknown_level_and_type_is_yielded_as_such_and_rights_after_it_are_still_found()
    {
        byte[] control = Concat(Message(41, 77, Ints(5, 6, 7)), Message(SolSocket, ScmRights, Ints(1004)));
        WalkResult r = Walk(control);
        Assert.False(r.Malformed);
        Assert.Equal(2, r.Items.Count);
        Assert.Equal((ControlMessageKind.Unknown, 41, 77), (r.Items[0].Kind, r.Items[0].Level, r.Items[0].Type));
        Assert.Equal(ControlMessageKind.Rights, r.Items[1].Kind);
        Assert.Equal(new[] { 1004 }, r.Items[1].Descriptors);
    }

    [Fact]
    public void Credentials_and_a_pidfd_are_yielded_typed()
    {
        Assert.SkipUnless(Probe.HasCredentials && Probe.HasPidfd,
            "SCM_CREDENTIALS and SCM_PIDFD are Linux's; this target's ABI file has neither, so the walker yields them as unknown");
        // struct ucred (socket(7)): pid_t pid, uid_t uid, gid_t gid.
        byte[] ucred = new byte[Probe.PeerCredSize];
        Ints(4242, 1000, 100).CopyTo(ucred, 0);
        byte[] control = Concat(
            Message(SolSocket, Probe.ScmCredentials, ucred),
            Message(SolSocket, Probe.ScmPidfd, Ints(1005)),
            Message(SolSocket, ScmRights, Ints(1006)));
        WalkResult r = Walk(control);
        Assert.False(r.Malformed);
        Assert.Equal(3, r.Items.Count);
        Assert.Equal(ControlMessageKind.Credentials, r.Items[0].Kind);
        Assert.Equal(new PeerCredentials(4242, 1000, 100), r.Items[0].Credentials);
        Assert.Equal(ControlMessageKind.Pidfd, r.Items[1].Kind);
        Assert.Equal(new[] { 1005 }, r.Items[1].Descriptors);
        Assert.Equal(new[] { 1006 }, r.Items[2].Descriptors);
    }

    [Fact]
    public void Credentials_shorter_than_a_ucred_are_unknown_not_read()
    {
        Assert.SkipUnless(Probe.HasCredentials, "SCM_CREDENTIALS is Linux's; this target's ABI file has none");
        WalkResult r = Walk(Message(SolSocket, Probe.ScmCredentials, Ints(4242)));
        Assert.Equal(ControlMessageKind.Unknown, Assert.Single(r.Items).Kind);
    }

    [Fact]
    public void A_header_cut_short_after_a_message_is_malformed()
    {
        byte[] rights = Message(SolSocket, ScmRights, Ints(1007));
        byte[] control = Concat(rights, new byte[T.CmsgLen(0) - 1]);
        WalkResult r = Walk(control);
        Assert.True(r.Malformed);
        Assert.Equal(new[] { 1007 }, Assert.Single(r.Items).Descriptors);
    }

    [Fact]
    public void A_cmsg_len_past_the_end_yields_what_arrived_and_stops()
    {
        byte[] first = Message(SolSocket, ScmRights, Ints(1008, 1009), length: T.CmsgLen(50 * sizeof(int)));
        byte[] control = Concat(first, Message(SolSocket, ScmRights, Ints(1010)));
        // As macOS reports after MSG_CTRUNC: the first cmsg_len counts descriptors that were not delivered.
        WalkResult r = Walk(control, reported: first.Length);
        Assert.True(r.Malformed);
        Assert.Equal(new[] { 1008, 1009 }, Assert.Single(r.Items).Descriptors);
    }

    [Fact]
    public void A_zero_cmsg_len_is_malformed_and_ends_the_walk()
    {
        byte[] control = Concat(Message(SolSocket, ScmRights, Ints(1011), length: 0), Message(SolSocket, ScmRights, Ints(1012)));
        WalkResult r = Walk(control);
        Assert.True(r.Malformed);
        Assert.Empty(r.Items);
    }

    [Fact]
    public void A_reported_length_past_the_buffer_is_clamped_to_it()
    {
        byte[] control = Message(SolSocket, ScmRights, Ints(1013));
        WalkResult r = Walk(control, flags: T.Constants.MSG_CTRUNC, reported: control.Length + 4096);
        Assert.True(r.Truncated);
        Assert.False(r.Malformed);
        Assert.Equal(new[] { 1013 }, Assert.Single(r.Items).Descriptors);
    }

    [Fact]
    public void Empty_control_data_yields_nothing_and_is_well_formed()
    {
        WalkResult r = Walk(Array.Empty<byte>());
        Assert.Empty(r.Items);
        Assert.False(r.Malformed);
        Assert.False(r.Truncated);
    }

    [Fact]
    public void A_rights_message_without_padding_at_the_end_of_the_data_is_read_whole()
    {
        // msg_controllen counts the last message's CMSG_LEN when the kernel wrote no padding after it.
        byte[] control = Message(SolSocket, ScmRights, Ints(1014));
        WalkResult r = Walk(control, reported: T.CmsgLen(sizeof(int)));
        Assert.False(r.Malformed);
        Assert.Equal(new[] { 1014 }, Assert.Single(r.Items).Descriptors);
    }
}
