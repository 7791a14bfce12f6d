using System;
using FdPasser.Systemd;

namespace FdPasser.Tests.Systemd;

public class ServiceNotifierAddressTests
{
    [Theory]
    [InlineData("vsock:2:1234")]
    [InlineData("vsock-stream:2:1234")]
    [InlineData("vsock-dgram:2:1234")]
    public void A_vsock_NOTIFY_SOCKET_is_refused_as_not_supported_saying_so(string address)
    {
        var e = Assert.Throws<NotSupportedException>(() => new ServiceNotifier(address));
        Assert.Contains("vsock is not supported", e.Message);
        Assert.Contains(address, e.Message);
    }

    [Fact]
    public void A_relative_path_is_still_refused_as_malformed()
    {
        Assert.Throws<ArgumentException>(() => new ServiceNotifier("relative/path"));
    }
}
