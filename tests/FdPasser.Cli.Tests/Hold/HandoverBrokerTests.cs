using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading.Tasks;
using FdPasser.Cli.Hold;
using FdPasser.Handover;

namespace FdPasser.Cli.Tests.Hold;

/// <summary>
/// The broker of fdpass hold over the real state machine: a retiring generation and the one replacing it are
/// introduced once, before the SIGTERM, with the two ends of one pair; a link that takes nothing never blocks
/// hold; the link of an ended generation is closed.
/// </summary>
public sealed class HandoverBrokerTests
{
    private static readonly DateTime T0 = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    private readonly HoldMachine _m = new(new HoldTimings { StopTimeout = TimeSpan.FromSeconds(3), SettleTime = TimeSpan.Zero }); // drains at READY=1: HoldMachineSettleTests has the settle time
    private readonly List<string> _log = new();

    private static HoldEvent.Notified Ready(int pid) =>
        new(ProcessLineage.Running(pid, Array.Empty<int>()), new[] { new KeyValuePair<string, string>("READY", "1") });

    /// <summary>Generation 1 (pid 100) serving, generation 2 (pid 200) ready: returns the SIGTERM for generation 1.</summary>
    private HoldAction.Signal Reload(HandoverBroker broker, out SafeSocketHandle first, out SafeSocketHandle second)
    {
        _m.Start(T0);
        first = broker.Open(1)!;
        _m.Handle(new HoldEvent.Spawned(1, 100), T0);
        _m.Handle(Ready(100), T0);
        _m.Handle(new HoldEvent.Reload("SIGHUP"), T0);
        second = broker.Open(2)!;
        _m.Handle(new HoldEvent.Spawned(2, 200), T0);
        IReadOnlyList<HoldAction> ready = _m.Handle(Ready(200), T0.AddSeconds(1));
        return ready.OfType<HoldAction.Signal>().Single();
    }

    [Fact]
    public async Task A_retiring_generation_meets_its_successor_once_and_they_can_hand_over()
    {
        var ct = TestContext.Current.CancellationToken;
        using var broker = new HandoverBroker(_log.Add);
        HoldAction.Signal term = Reload(broker, out SafeSocketHandle first, out SafeSocketHandle second);
        Assert.Equal(new HoldAction.Signal(100, HoldSignal.Term), term);

        broker.BeforeSignal(term.Pid, term.Which, _m);
        broker.BeforeSignal(term.Pid, term.Which, _m);
        broker.BeforeSignal(term.Pid, HoldSignal.Kill, _m);
        Assert.Single(_log, l => l == "generation 1: introduced to generation 2 for a handover");

        using HandoverLink old = HandoverLink.FromHandle(first);
        using HandoverLink @new = HandoverLink.FromHandle(second);
        using HandoverSender? sender = await old.WaitForSuccessorAsync(TimeSpan.FromSeconds(30), ct);
        Assert.NotNull(sender);
        Assert.Equal(2u, sender.PeerGeneration);
        await using var predecessors = @new.ReceivePredecessorsAsync(ct).GetAsyncEnumerator(ct);
        Assert.True(await predecessors.MoveNextAsync());
        using HandoverReceiver receiver = predecessors.Current;
        Assert.Equal(1u, receiver.PeerGeneration);
        Assert.Null(await old.WaitForSuccessorAsync(TimeSpan.FromMilliseconds(200), ct)); // once per pair

        Task<HandoverPrepared> offering = sender.OfferAsync([new HandoverItem("state only", new byte[] { 42 })], ct).AsTask();
        using HandoverOffer offer = await receiver.ReceiveOfferAsync(ct);
        Assert.Equal(42, offer.Items.Single().State.Span[0]);
        Task<bool> preparing = offer.PrepareAsync(cancellationToken: ct).AsTask();
        Assert.True(await (await offering).CommitAsync(ct));
        Assert.True(await preparing);
    }

    [Fact]
    public async Task A_link_nobody_reads_or_that_is_closed_never_blocks_and_ended_generations_lose_their_link()
    {
        var ct = TestContext.Current.CancellationToken;
        using var broker = new HandoverBroker(_log.Add);
        HoldAction.Signal term = Reload(broker, out SafeSocketHandle first, out SafeSocketHandle second);
        first.Dispose(); // generation 1 closed its link (or never had one open)
        broker.BeforeSignal(term.Pid, term.Which, _m);
        Assert.Contains(_log, l => l.StartsWith("generation 1: its handover link takes no introduction", StringComparison.Ordinal));
        Assert.DoesNotContain(_log, l => l.Contains("introduced", StringComparison.Ordinal));

        // Generation 1 ends: its link goes. Generation 2's stays until it ends too.
        _m.Handle(new HoldEvent.Exited(100, new ExitStatus(0, null)), T0.AddSeconds(2));
        broker.Prune(_m);
        using HandoverLink link = HandoverLink.FromHandle(second);
        await using var predecessors = link.ReceivePredecessorsAsync(ct).GetAsyncEnumerator(ct);
        // The introduction generation 2 was sent (first, before generation 1's send failed) leads to a closed pair.
        Assert.True(await predecessors.MoveNextAsync());
        using (HandoverReceiver orphan = predecessors.Current)
        {
            var e = await Assert.ThrowsAsync<HandoverAbortedException>(() => orphan.ReceiveOfferAsync(ct).AsTask());
            Assert.Equal(HandoverAbortReason.PeerClosed, e.Reason);
        }
        _m.Handle(new HoldEvent.Stop("SIGTERM"), T0.AddSeconds(3));
        _m.Handle(new HoldEvent.Exited(200, new ExitStatus(0, null)), T0.AddSeconds(4));
        broker.Prune(_m);
        Task<bool> next = predecessors.MoveNextAsync().AsTask();
        Assert.True(await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(30), ct)) == next, "hold kept the link of an ended generation open");
        Assert.False(await next);
    }
}
