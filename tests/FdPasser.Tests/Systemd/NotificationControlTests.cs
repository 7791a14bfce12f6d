using System;
using System.Collections.Generic;
using FdPasser.Platform;
using FdPasser.Protocol;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Systemd;

/// <summary>
/// The notification receive's walk over crafted control data with real descriptors in it: each number goes into the
/// owner it belongs to, and what no owner may keep (a second pidfd, rights beyond the room) is closed at once.
/// </summary>
public sealed class NotificationControlTests : IDisposable
{
    private static readonly SocketTransport T = Transports.Socket;
    private static readonly IControlProbe Probe = ControlProbe.ForThisTarget();

    private readonly MarkedFile _marked = new();

    public void Dispose() => _marked.Dispose();

    private int Open()
    {
        SafeFileHandle h = _marked.Open();
        int fd = (int)h.DangerousGetHandle();
        h.SetHandleAsInvalid(); // the control buffer owns it now, as after a recvmsg
        return fd;
    }

    private static byte[] Message(int type, params int[] values)
    {
        byte[] bytes = new byte[T.CmsgSpace(values.Length * sizeof(int))];
        T.WriteCmsgHeader(bytes, T.CmsgLen(values.Length * sizeof(int)), T.Constants.SOL_SOCKET, type);
        for (int i = 0; i < values.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(T.CmsgLen(0) + (i * sizeof(int))), values[i]);
        }
        return bytes;
    }

    [Fact]
    public void Rights_credentials_and_one_pidfd_go_to_their_owners_and_a_second_pidfd_is_closed()
    {
        Assert.SkipUnless(Probe.HasCredentials && Probe.HasPidfd, "SCM_CREDENTIALS and SCM_PIDFD are Linux's; this target's ABI file has neither");
        int right = Open(), pidfd = Open(), second = Open();
        var control = new List<byte>();
        // ucred: pid, uid, gid (socket(7)), padded to the target's struct size.
        byte[] ucred = Message(Probe.ScmCredentials, new int[Probe.PeerCredSize / sizeof(int)]);
        BitConverter.TryWriteBytes(ucred.AsSpan(T.CmsgLen(0)), 4242);
        control.AddRange(ucred);
        control.AddRange(Message(T.Constants.SCM_RIGHTS, right));
        control.AddRange(Message(Probe.ScmPidfd, pidfd));
        control.AddRange(Message(Probe.ScmPidfd, second));
        var rights = new ReceivedDescriptors(T, 4);
        var pidfds = new ReceivedDescriptors(T, 1);

        NotificationControl c = Probe.ParseNotification(control.ToArray(), rights, pidfds);

        Assert.Equal(4242, c.Sender?.ProcessId);
        Assert.Equal(1, c.Descriptors);
        Assert.Equal(1, c.UnexpectedMessages);
        Assert.Equal(pidfd, c.SenderPidfd);
        Assert.False(c.Malformed);
        Assert.Equal(1, rights.Count);
        Assert.Equal(1, pidfds.Count);
        Assert.Equal(2, _marked.OpenCount()); // the second pidfd is closed
        Assert.Equal(2, rights.CloseAll() + pidfds.CloseAll());
        Assert.Empty(_marked.OpenDescriptors());
    }

    [Fact]
    public void Rights_beyond_the_owner_s_room_are_closed_and_counted()
    {
        int[] fds = [Open(), Open(), Open()];
        var rights = new ReceivedDescriptors(T, 2);
        var pidfds = new ReceivedDescriptors(T, 1);

        NotificationControl c = Probe.ParseNotification(Message(T.Constants.SCM_RIGHTS, fds), rights, pidfds);

        Assert.Equal(2, c.Descriptors);
        Assert.Equal(1, c.UnexpectedMessages);
        Assert.Equal(2, _marked.OpenCount());
        rights.CloseAll();
        Assert.Empty(_marked.OpenDescriptors());
    }

    [Fact]
    public void A_malformed_length_is_reported_and_what_came_before_it_is_owned()
    {
        int fd = Open();
        byte[] rights = Message(T.Constants.SCM_RIGHTS, fd);
        byte[] control = new byte[rights.Length + T.CmsgSpace(0)];
        rights.CopyTo(control, 0);
        T.WriteCmsgHeader(control.AsSpan(rights.Length), 0, T.Constants.SOL_SOCKET, T.Constants.SCM_RIGHTS);
        var owner = new ReceivedDescriptors(T, 4);

        NotificationControl c = Probe.ParseNotification(control, owner, new ReceivedDescriptors(T, 1));

        Assert.True(c.Malformed);
        Assert.Equal(1, owner.CloseAll());
        Assert.Empty(_marked.OpenDescriptors());
    }
}
