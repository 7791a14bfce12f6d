using System;
using System.Collections.Generic;
using System.IO;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Platform;
using FdPasser.Tests.Support;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests.Handover;

/// <summary>
/// A generation's link to its broker: introductions are routed to the successor and predecessor queues, anything
/// else is dropped with its descriptors closed, and the environment variable is validated before the descriptor is
/// touched.
/// </summary>
public class HandoverLinkTests
{
    private static (HandoverLink Link, FdChannel Broker) NewLink()
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle ours, out SafeSocketHandle theirs);
        return (HandoverLink.FromHandle(theirs), FdChannel.FromAccepted(Target.Current.Sockets, ours));
    }

    private static void Introduce(FdChannel broker, byte role, uint own, uint peer)
    {
        Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle a, out SafeSocketHandle b);
        using (a)
        using (b)
        {
            byte[] message = new byte[16];
            HandoverWire.WriteIntroduce(message, role, own, peer);
            broker.SendRaw(message, [a]);
        }
    }

    [Fact]
    public async Task Introductions_reach_the_right_queue_and_garbage_is_dropped_with_its_descriptors_closed()
    {
        await Warm.UpAsync();
        var ct = TestContext.Current.CancellationToken;
        using SafeFileHandle devNull = File.OpenHandle("/dev/null");
        HashSet<string> before = ProcFs.Snapshot();
        var (link, broker) = NewLink();
        using (link)
        using (broker)
        {
            broker.SendRaw("garbage"u8, [devNull, devNull]);
            byte[] wrongRole = new byte[16];
            HandoverWire.WriteIntroduce(wrongRole, HandoverWire.IntroduceSuccessor, 1, 2);
            wrongRole[4] = 9;
            broker.SendRaw(wrongRole, [devNull]);
            broker.SendRaw(wrongRole.AsSpan(0, 16), ReadOnlySpan<SafeHandle>.Empty);
            broker.SendRaw(new byte[16], Array.ConvertAll(new SafeHandle[254], _ => (SafeHandle)devNull).AsSpan(0, 200));
            Introduce(broker, HandoverWire.IntroducePredecessor, 5, 4);
            Introduce(broker, HandoverWire.IntroduceSuccessor, 5, 6);

            await using IAsyncEnumerator<HandoverReceiver> predecessors = link.ReceivePredecessorsAsync(ct).GetAsyncEnumerator(ct);
            Assert.True(await predecessors.MoveNextAsync());
            using (HandoverReceiver r = predecessors.Current)
            {
                Assert.Equal(4u, r.PeerGeneration);
            }
            using (HandoverSender? s = await link.WaitForSuccessorAsync(TimeSpan.FromSeconds(30), ct))
            {
                Assert.NotNull(s);
                Assert.Equal(6u, s.PeerGeneration);
            }
            Assert.Null(await link.WaitForSuccessorAsync(TimeSpan.FromMilliseconds(100), ct));

            // The broker goes away: the predecessors end, and no successor comes.
            broker.Dispose();
            Assert.False(await predecessors.MoveNextAsync());
            Assert.Null(await link.WaitForSuccessorAsync(TimeSpan.FromSeconds(30), ct));
        }
        ProcFs.AssertNoNewDescriptors(before);
    }

    [Fact]
    public async Task Disposing_the_link_closes_introductions_nobody_took()
    {
        await Warm.UpAsync();
        var ct = TestContext.Current.CancellationToken;
        HashSet<string> before = ProcFs.Snapshot();
        var (link, broker) = NewLink();
        using (broker)
        {
            Introduce(broker, HandoverWire.IntroduceSuccessor, 1, 2);
            Introduce(broker, HandoverWire.IntroduceSuccessor, 1, 3);
            using (HandoverSender? first = await link.WaitForSuccessorAsync(TimeSpan.FromSeconds(30), ct))
            {
                Assert.Equal(2u, first!.PeerGeneration);
            }
            link.Dispose();
        }
        ProcFs.AssertNoNewDescriptors(before);
    }

    [Fact]
    public void The_environment_variable_is_validated_before_the_descriptor_is_adopted()
    {
        string? saved = Environment.GetEnvironmentVariable(HandoverLink.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, null);
            Assert.Null(HandoverLink.FromEnvironment());
            Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, "seven");
            Assert.Null(HandoverLink.FromEnvironment());

            using SafeFileHandle file = File.OpenHandle("/dev/null");
            Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, file.DangerousGetHandle().ToString());
            Assert.Null(HandoverLink.FromEnvironment());
            Assert.True(ProcFs.IsOpen((int)file.DangerousGetHandle()), "a descriptor that is not a link was closed");

            var (a, b) = FdChannel.CreatePair(); // a stream socket is not a link either
            using (a)
            using (b)
            {
                Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, a.Descriptor.ToString());
                Assert.Null(HandoverLink.FromEnvironment());
                Assert.Throws<ArgumentException>(() => HandoverLink.FromHandle(a.SafeHandle));
            }

            Target.Current.Sockets.CreateSeqPacketPair(out SafeSocketHandle ours, out SafeSocketHandle theirs);
            using (ours)
            {
                Target.Current.Sockets.SetCloseOnExec(theirs, false);
                Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, theirs.DangerousGetHandle().ToString());
                using HandoverLink? link = HandoverLink.FromEnvironment();
                Assert.NotNull(link);
                Assert.Null(Environment.GetEnvironmentVariable(HandoverLink.EnvironmentVariable));
                Assert.True(ProcFs.IsCloseOnExec(theirs));
                theirs.SetHandleAsInvalid(); // the link owns the number now
            }
        }
        finally
        {
            Environment.SetEnvironmentVariable(HandoverLink.EnvironmentVariable, saved);
        }
    }
}
