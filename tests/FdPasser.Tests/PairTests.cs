using System.Collections.Generic;
using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using FdPasser.Tests.Support;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Tests;

public class PairTests
{
    [Fact]
    public void A_passed_file_is_readable_on_the_other_end()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("a.txt", "hello through a descriptor");
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using (FileStream file = File.OpenRead(path))
            {
                a.SendDescriptor(file);
            }
            using SafeFileHandle received = b.ReceiveDescriptor();
            using FileStream stream = FdHandles.ToFileStream(received);
            Assert.Equal("hello through a descriptor", new StreamReader(stream).ReadToEnd());
        }
    }

    [Fact]
    public void Sending_leaves_the_senders_handle_open_and_usable()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("a.txt", "abc");
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (FileStream file = File.OpenRead(path))
        {
            a.SendDescriptor(file.SafeFileHandle);
            Assert.False(file.SafeFileHandle.IsClosed);
            Assert.Equal((byte)'a', file.ReadByte());
            using SafeFileHandle received = b.ReceiveDescriptor();
            Assert.NotEqual(file.SafeFileHandle.DangerousGetHandle(), received.DangerousGetHandle());
            Assert.Equal(ProcFs.Target(file.SafeFileHandle), ProcFs.Target(received));
        }
    }

    [Fact]
    public void Both_ends_and_received_descriptors_are_close_on_exec()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var devNull = File.OpenHandle("/dev/null"))
        {
            Assert.True(ProcFs.IsCloseOnExec(a.SafeHandle));
            Assert.True(ProcFs.IsCloseOnExec(b.SafeHandle));
            a.SendDescriptor(devNull);
            using SafeFileHandle received = b.ReceiveDescriptor();
            Assert.True(ProcFs.IsCloseOnExec(received));
        }
    }

    [Fact]
    public void An_error_status_surfaces_with_code_and_message()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendError(13, "permission denied: /etc/shadow");
            FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => b.ReceiveDescriptor());
            Assert.Equal(13, e.ErrorCode);
            Assert.Equal("permission denied: /etc/shadow", e.PeerMessage);
            // The stream stays in step: the next message is read normally.
            using var devNull = File.OpenHandle("/dev/null");
            a.SendDescriptor(devNull);
            using SafeFileHandle next = b.ReceiveDescriptor();
            Assert.Equal("/dev/null", ProcFs.Target(next));
        }
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(256, 1)]
    [InlineData(257, 1)]
    [InlineData(2, 2)]
    public void Error_codes_map_to_a_non_zero_status_byte(int code, int expected)
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendError(code);
            FdPeerErrorException e = Assert.Throws<FdPeerErrorException>(() => b.ReceiveDescriptor());
            Assert.Equal(expected, e.ErrorCode);
            Assert.Null(e.PeerMessage);
        }
    }

    [Fact]
    public void The_classic_wire_bytes_are_exactly_nul_and_status()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var devNull = File.OpenHandle("/dev/null"))
        {
            a.SendDescriptor(devNull);
            a.SendError(5, "oops");
            using FdMessage first = b.ReceiveRaw(4096);
            Assert.Equal(new byte[] { 0, 0 }, first.Payload.ToArray());
            Assert.Equal(1, first.DescriptorCount);
            using FdMessage second = b.ReceiveRaw(4096);
            Assert.Equal(Encoding.ASCII.GetBytes("oops\0\u0005"), second.Payload.ToArray());
            Assert.Equal(0, second.DescriptorCount);
        }
    }

    [Fact]
    public void A_clean_close_between_messages_is_end_of_stream()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            a.Dispose();
            Assert.False(b.TryReceiveDescriptor(out SafeFileHandle? handle));
            Assert.Null(handle);
            Assert.Throws<EndOfStreamException>(() => b.ReceiveDescriptor());
        }
    }

    [Fact]
    public void A_close_in_the_middle_of_a_message_is_a_clean_end_of_stream_error()
    {
        var (a, b) = FdChannel.CreatePair();
        using (b)
        {
            using (a)
            {
                a.SendRaw(new byte[] { (byte)'x', (byte)'y', 0 }, ReadOnlySpan<int>.Empty);
            }
            EndOfStreamException e = Assert.Throws<EndOfStreamException>(() => b.ReceiveDescriptor());
            Assert.Contains("middle of a message", e.Message);
        }
    }

    [Fact]
    public void More_descriptors_than_the_classic_message_carries_are_all_closed()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var f1 = File.OpenHandle("/dev/null"))
        using (var f2 = File.OpenHandle("/dev/zero"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            a.SendRaw(new byte[] { 0, 0 }, new SafeHandle[] { f1, f2 });
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.Equal(2, e.DescriptorsClosed);
            Assert.False(e.ChannelBroken);
            ProcFs.AssertNoNewDescriptors(before);
            // Still in step.
            a.SendDescriptor(f1);
            using SafeFileHandle ok = b.ReceiveDescriptor();
            Assert.Equal("/dev/null", ProcFs.Target(ok));
        }
    }

    [Fact]
    public void Status_zero_without_a_descriptor_is_a_protocol_error()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            a.SendRaw(new byte[] { 0, 0 }, ReadOnlySpan<int>.Empty);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => b.ReceiveDescriptor());
            Assert.Contains("without a descriptor", e.Message);
        }
    }

    [Fact]
    public void Endless_text_without_a_nul_breaks_the_channel_without_leaking()
    {
        var (c, d) = FdChannel.CreatePair();
        using (c)
        using (d)
        {
            byte[] text = new byte[5000];
            Array.Fill(text, (byte)'x');
            c.SendRaw(text, ReadOnlySpan<int>.Empty);
            FdProtocolException e = Assert.Throws<FdProtocolException>(() => d.ReceiveDescriptor());
            Assert.True(e.ChannelBroken);
            Assert.True(d.IsBroken);
            Assert.Throws<FdProtocolException>(() => d.ReceiveDescriptor());
        }
    }

    [Fact]
    public void Up_to_the_os_limit_of_descriptors_pass_in_one_frame_and_one_more_is_rejected_before_any_syscall()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var devNull = File.OpenHandle("/dev/null"))
        {
            int max = a.MaxDescriptorsPerMessage;
            Assert.Equal(TargetFacts.MaxDescriptorsPerMessage, max);
            var handles = new SafeHandle[max];
            Array.Fill(handles, devNull);
            a.SendFrame("many"u8, handles);
            using (FdMessage message = b.ReceiveFrame())
            {
                Assert.Equal(max, message.DescriptorCount);
            }
            var tooMany = new SafeHandle[max + 1];
            Array.Fill(tooMany, devNull);
            ArgumentException e = Assert.Throws<ArgumentException>(() => a.SendFrame("x"u8, tooMany));
            Assert.Contains($"at most {max}", e.Message);
            Assert.False(b.SafeHandle.IsClosed);
            a.Timeout = TimeSpan.FromMilliseconds(50);
            b.Timeout = TimeSpan.FromMilliseconds(50);
            Assert.Throws<TimeoutException>(() => b.ReceiveRaw(16));
        }
    }

    [Fact]
    public void Received_descriptors_convert_to_streams_with_the_access_they_were_opened_with()
    {
        using var dir = new TempDir();
        string path = dir.WriteFile("w.txt", "");
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            using (var write = File.OpenHandle(path, FileMode.Open, FileAccess.Write))
            {
                a.SendDescriptor(write);
            }
            using (SafeFileHandle received = b.ReceiveDescriptor())
            {
                Assert.Equal(FileAccess.Write, FdHandles.GetAccess(received));
                using FileStream stream = FdHandles.ToFileStream(received);
                Assert.True(stream.CanWrite);
                Assert.False(stream.CanRead);
                stream.Write("written"u8);
            }
            Assert.Equal("written", File.ReadAllText(path));
            using (var rw = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
            {
                a.SendDescriptor(rw);
            }
            using SafeFileHandle readWrite = b.ReceiveDescriptor();
            Assert.Equal(FileAccess.ReadWrite, FdHandles.GetAccess(readWrite));
        }
    }

    [Fact]
    public void A_passed_socket_becomes_a_usable_socket()
    {
        var (a, b) = FdChannel.CreatePair();
        var (x, y) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (y)
        {
            a.SendDescriptor(x.SafeHandle);
            x.Dispose();
            using SafeFileHandle received = b.ReceiveDescriptor();
            using System.Net.Sockets.Socket socket = FdHandles.ToSocket(received);
            Assert.True(received.IsClosed); // ownership moved to the socket
            socket.Send("ping"u8);
            using FdMessage message = y.ReceiveRaw(16);
            Assert.Equal("ping", Encoding.ASCII.GetString(message.Payload.Span));
        }
    }

    [Fact]
    public void A_file_is_not_a_socket()
    {
        using SafeFileHandle file = File.OpenHandle("/dev/null");
        Assert.Throws<ArgumentException>(() => FdHandles.ToSocket(file));
        Assert.False(file.IsClosed);
    }

    [Fact]
    public void An_untaken_descriptor_is_closed_when_the_message_is_disposed()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var devNull = File.OpenHandle("/dev/null"))
        {
            HashSet<string> before = ProcFs.Snapshot();
            a.SendFrame("two"u8, new SafeHandle[] { devNull, devNull });
            FdMessage message = b.ReceiveFrame();
            ProcFs.AssertNoNewDescriptors(before, allowed: 2);
            SafeFileHandle taken = message.TakeDescriptor(0);
            Assert.Throws<InvalidOperationException>(() => message.TakeDescriptor(0));
            message.Dispose();
            ProcFs.AssertNoNewDescriptors(before, allowed: 1);
            Assert.False(taken.IsClosed);
            taken.Dispose();
            ProcFs.AssertNoNewDescriptors(before);
        }
    }

    [Fact]
    public void Adopting_a_descriptor_that_is_not_a_stream_socket_is_refused()
    {
        using SafeFileHandle file = File.OpenHandle("/dev/null");
        Assert.Throws<ArgumentException>(() => FdChannel.FromDescriptor((int)file.DangerousGetHandle()));
        Assert.False(file.IsClosed);
    }

    [Fact]
    public void Adopting_a_socket_object_and_a_socket_handle_works()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        {
            var socket = new System.Net.Sockets.Socket(b.SafeHandle);
            using FdChannel adopted = FdChannel.FromSocket(socket);
            using var devNull = File.OpenHandle("/dev/null");
            a.SendDescriptor(devNull);
            using SafeFileHandle received = adopted.ReceiveDescriptor();
            Assert.Equal("/dev/null", ProcFs.Target(received));
        }
    }

    [Fact]
    public void Peer_credentials_of_a_pair_are_this_process()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            PeerCredentials peer = a.GetPeerCredentials();
            Assert.Equal(Environment.ProcessId, peer.ProcessId);
        }
    }

    [Fact]
    public async System.Threading.Tasks.Task Two_receives_at_once_are_refused()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        {
            var pending = b.ReceiveDescriptorAsync(TestContext.Current.CancellationToken);
            Assert.False(pending.IsCompleted);
            Assert.Throws<InvalidOperationException>(() => b.ReceiveDescriptor());
            a.SendError(1);
            await Assert.ThrowsAsync<FdPeerErrorException>(async () => await pending);
        }
    }
}
