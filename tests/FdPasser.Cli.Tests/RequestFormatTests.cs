using System;
using System.Text;
using FdPasser.Cli.Tests.Infrastructure;
using FdPasser.TestSupport;
using Microsoft.Win32.SafeHandles;

namespace FdPasser.Cli.Tests;

public sealed class RequestFormatTests : IDisposable
{
    private readonly TempTree _tree = new();
    private readonly ServeProcess _server;

    public RequestFormatTests()
    {
        System.IO.File.WriteAllText(_tree.InRoot("name with spaces.txt"), "spaces\n");
        _server = ServeProcess.Start(_tree.Endpoint, "--root", _tree.Root);
    }

    public void Dispose()
    {
        _server.Dispose();
        _tree.Dispose();
    }

    private FdPeerErrorException Refusal(byte[] request, SafeFileHandle? attach = null)
    {
        using FdChannel channel = FdChannel.Connect(_tree.Endpoint);
        channel.Timeout = TestTiming.Seconds(10);
        if (attach is null)
        {
            channel.SendRaw(request, ReadOnlySpan<int>.Empty);
        }
        else
        {
            channel.SendRaw(request, new System.Runtime.InteropServices.SafeHandle[] { attach });
        }
        return Assert.Throws<FdPeerErrorException>(() => channel.ReceiveDescriptor());
    }

    [Theory]
    [InlineData("hello\0", "unknown request 'hello'")]
    [InlineData("open hello.txt\0", "the request has no path")]
    [InlineData("open hello.txt rw\0", "the flags 'rw' are not a decimal number")]
    [InlineData("open hello.txt -1\0", "are not a decimal number")]
    public void Malformed_requests_are_refused_with_EINVAL_and_a_message(string request, string message)
    {
        FdPeerErrorException e = Refusal(Encoding.UTF8.GetBytes(request));

        Assert.Equal(Errno.EINVAL, e.ErrorCode);
        Assert.Contains(message, e.PeerMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_longer_than_4096_bytes_is_refused()
    {
        FdPeerErrorException e = Refusal(Encoding.UTF8.GetBytes("open " + new string('a', 5000) + " 0\0"));

        Assert.Equal(Errno.EINVAL, e.ErrorCode);
        Assert.Equal("the request is longer than 4096 bytes", e.PeerMessage);
    }

    [Fact]
    public void A_descriptor_sent_with_a_request_is_closed_and_the_request_refused()
    {
        var (a, b) = FdChannel.CreatePair();
        using (a)
        using (b)
        using (var attached = new SafeFileHandle(a.SafeHandle.DangerousGetHandle(), ownsHandle: false))
        {
            FdPeerErrorException e = Refusal("open hello.txt 0\0"u8.ToArray(), attached);

            Assert.Equal(Errno.EINVAL, e.ErrorCode);
            Assert.StartsWith("descriptors sent with a request are not accepted", e.PeerMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_path_may_contain_spaces_and_arrive_in_pieces()
    {
        using FdChannel channel = FdChannel.Connect(_tree.Endpoint);
        channel.Timeout = TestTiming.Seconds(10);
        channel.SendRaw("open name with "u8, ReadOnlySpan<int>.Empty);
        System.Threading.Thread.Sleep(100);
        channel.SendRaw("spaces.txt 0\0"u8, ReadOnlySpan<int>.Empty);

        using var stream = FdHandles.ToFileStream(channel.ReceiveDescriptor());
        Assert.Equal("spaces\n", new System.IO.StreamReader(stream).ReadToEnd());
    }
}
