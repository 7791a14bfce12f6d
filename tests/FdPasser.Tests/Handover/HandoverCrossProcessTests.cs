using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Platform;
using FdPasser.Tests.Support;

namespace FdPasser.Tests.Handover;

/// <summary>
/// A handover to another process (FdPasser.TestPeer), with this test as the broker: the child finds its link in
/// FDPASS_HANDOVER_FD, is introduced to this process, and takes a live TCP connection with its state, or dies
/// holding the offer, in which case this side still owns the connection.
/// </summary>
public class HandoverCrossProcessTests
{
    private static async Task<(Process Child, HandoverSender Sender)> IntroduceChildAsync(string mode)
    {
        await Warm.UpAsync();
        SocketTransport t = Target.Current.Sockets;
        t.CreateSeqPacketPair(out SafeSocketHandle link, out SafeSocketHandle childLink);
        t.SetCloseOnExec(childLink, false);
        string[] command = Peers.TestPeerCommand;
        var psi = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in command.Skip(1).Append(mode))
        {
            psi.ArgumentList.Add(arg);
        }
        psi.Environment[HandoverLink.EnvironmentVariable] = childLink.DangerousGetHandle().ToString();
        Process child = FdPasser.TestSupport.TestProcesses.Start(psi);
        childLink.Dispose();

        // What fdpass hold does: a fresh pair, one end to each generation with INTRODUCE.
        t.CreateSeqPacketPair(out SafeSocketHandle ours, out SafeSocketHandle theirs);
        using (FdChannel broker = FdChannel.FromAccepted(t, link))
        using (theirs)
        {
            byte[] introduce = new byte[16];
            HandoverWire.WriteIntroduce(introduce, HandoverWire.IntroducePredecessor, 2, 1);
            broker.SendRaw(introduce, [theirs]);
            // Closing the link now is fine: the child reads the introduction before the end of file.
            var sender = new HandoverSender(HandoverConnection.Adopt(ours, HandoverLimits.Default), 2);
            return (child, sender);
        }
    }

    [Fact]
    public async Task A_live_connection_and_its_state_move_to_another_process()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        Socket served = await listener.AcceptAsync(ct);

        var (child, sender) = await IntroduceChildAsync("handover-receive");
        using (sender)
        {
            HandoverPrepared prepared = await sender.OfferAsync([new HandoverItem("conn", "requests=41"u8.ToArray(), served.SafeHandle)], ct);
            Assert.True(prepared.IsAccepted(0));
            Assert.True(await prepared.CommitAsync(ct));
        }
        served.Close(); // relinquish: close, never shutdown
        var (exit, stdout, stderr) = await Peers.FinishAsync(child);
        Assert.True(exit == 0, stdout + stderr);
        Assert.Equal("committed", stdout.Trim());
        using var reader = new StreamReader(new NetworkStream(client), Encoding.UTF8);
        Assert.Equal("conn from generation 1: requests=41", await reader.ReadLineAsync(ct));
    }

    [Fact]
    public async Task A_receiver_that_dies_holding_the_offer_leaves_the_connection_with_the_sender()
    {
        var ct = TestContext.Current.CancellationToken;
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!, ct);
        using Socket served = await listener.AcceptAsync(ct);

        var (child, sender) = await IntroduceChildAsync("handover-die");
        using (sender)
        {
            var e = await Assert.ThrowsAsync<HandoverAbortedException>(() => sender.OfferAsync([new HandoverItem("conn", default, served.SafeHandle)], ct).AsTask());
            Assert.Equal(HandoverAbortReason.PeerClosed, e.Reason);
        }
        var (exit, stdout, _) = await Peers.FinishAsync(child);
        Assert.Equal(3, exit);
        Assert.Equal("dying with the offer", stdout.Trim());
        // Still ours, and still a working connection: the child's death closed only its copy.
        await served.SendAsync("still here\n"u8.ToArray(), ct);
        byte[] buffer = new byte[11];
        Assert.Equal(11, await client.ReceiveAsync(buffer, ct));
        Assert.Equal("still here\n", Encoding.ASCII.GetString(buffer));
    }
}
