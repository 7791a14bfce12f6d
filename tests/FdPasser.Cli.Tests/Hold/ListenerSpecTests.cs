using System;
using System.Net;
using FdPasser.Cli.Hold;

namespace FdPasser.Cli.Tests.Hold;

public sealed class ListenerSpecTests
{
    [Theory]
    [InlineData("web=tcp:0.0.0.0:8080", "web=tcp:0.0.0.0:8080")]
    [InlineData("web=tcp:localhost:80", "web=tcp:127.0.0.1:80")]
    [InlineData("v6=tcp:[::1]:8080", "v6=tcp:[::1]:8080")]
    [InlineData("any=tcp:*:0", "any=tcp:0.0.0.0:0")]
    [InlineData("ctl=unix:/run/app.sock", "ctl=unix:/run/app.sock")]
    [InlineData("ctl=unix:@app", "ctl=unix:@app")]
    public void Valid_specs_parse(string text, string shown)
    {
        Assert.Equal(shown, ListenerSpec.Parse(text).ToString());
    }

    [Fact]
    public void A_tcp_spec_has_its_address_and_port()
    {
        ListenerSpec spec = ListenerSpec.Parse("web=tcp:127.0.0.1:8080");

        Assert.Equal(ListenerKind.Tcp, spec.Kind);
        Assert.Equal(IPAddress.Loopback, spec.Address);
        Assert.Equal(8080, spec.Port);
    }

    [Theory]
    [InlineData("tcp:0.0.0.0:80", "is not NAME=tcp:HOST:PORT or NAME=unix:PATH")]
    [InlineData("a:b=tcp:0.0.0.0:80", "is not a descriptor name")]
    [InlineData("web=tcp:0.0.0.0:99999", "'99999' is not a port")]
    [InlineData("web=tcp:example.org:80", "'example.org' is not an IP address")]
    [InlineData("web=tcp:8080", "has no HOST:PORT")]
    [InlineData("web=udp:0.0.0.0:53", "is not tcp:HOST:PORT or unix:PATH")]
    [InlineData("web=unix:", "is not tcp:HOST:PORT or unix:PATH")]
    [InlineData("web=tcp:1:80", "'1' is not an IP address")]
    [InlineData("web=tcp:4294967295:0", "'4294967295' is not an IP address")]
    [InlineData("web=tcp:10.1:80", "'10.1' is not an IP address")]
    [InlineData("web=tcp:0x7f.0.0.1:80", "'0x7f.0.0.1' is not an IP address")]
    [InlineData("web=tcp:127.0.0.01:80", "'127.0.0.01' is not an IP address")]
    [InlineData("web=tcp:::1:80", "'::1' is not an IP address")]
    [InlineData("web=tcp:[127.0.0.1]:80", "'[127.0.0.1]' is not an IP address")]
    [InlineData("web=tcp:[::1]:+80", "'+80' is not a port")]
    public void Bad_specs_say_what_is_wrong(string text, string problem)
    {
        FormatException e = Assert.Throws<FormatException>(() => ListenerSpec.Parse(text));
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }
}
