using System;
using System.Collections.Generic;
using System.Linq;
using System.Net.Sockets;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Handover;
using FdPasser.Platform;
using FdPasser.Hosting;

namespace FdPasser.Cli.Hold;

/// <summary>
/// fdpass hold as the handover broker (docs/handover.md): every generation gets a link, one end of a
/// <c>socketpair(AF_UNIX, SOCK_SEQPACKET)</c> at the first descriptor after its LISTEN_FDS, named by
/// FDPASS_HANDOVER_FD; before a retiring generation gets its SIGTERM, it and the generation that replaces it are
/// introduced (INTRODUCE, each with one end of a fresh pair). hold is not in the data path, never waits on a link,
/// and closes whatever a generation sends it there.
/// </summary>
internal sealed class HandoverBroker : IDisposable
{
    private readonly Action<string> _log;
    private readonly Dictionary<int, FdChannel> _links = new();
    private readonly HashSet<(int Old, int New)> _introduced = new();
    private readonly CancellationTokenSource _stop = new();
    private bool _unsupported;

    public HandoverBroker(Action<string> log)
    {
        _log = log;
    }

    /// <summary>
    /// Makes the link of a generation about to start; returns the child's end, which the caller passes to the child
    /// and then disposes. Null where this system has no SOCK_SEQPACKET (the generation then gets no link).
    /// </summary>
    public SafeSocketHandle? Open(int generation)
    {
        if (_unsupported)
        {
            return null;
        }
        SafeSocketHandle ours, theirs;
        try
        {
            CliTarget.Current.Sockets.CreateSeqPacketPair(out ours, out theirs);
        }
        catch (Exception e) when (e is PlatformNotSupportedException or FdPassingException)
        {
            _unsupported = e is PlatformNotSupportedException;
            _log($"generation {generation}: no handover link ({OneLine.Of(e)}); connections are drained instead");
            return null;
        }
        Close(generation);
        FdChannel link = FdChannel.FromAccepted(CliTarget.Current.Sockets, ours);
        // Sends never wait: a generation that does not read its link must not hold up a reload.
        link.Timeout = TimeSpan.Zero;
        _links[generation] = link;
        _ = DiscardAsync(generation, link, _stop.Token);
        return theirs;
    }

    /// <summary>Closes the link of a generation that has ended.</summary>
    public void Close(int generation)
    {
        if (_links.Remove(generation, out FdChannel? link))
        {
            link.Dispose();
        }
    }

    /// <summary>
    /// Closes the links of every generation that has ended (the machine forgets a generation once it has ended).
    /// Not called between <see cref="Open"/> and the generation's Spawned event.
    /// </summary>
    public void Prune(HoldMachine machine)
    {
        foreach (int number in _links.Keys.ToArray())
        {
            GenerationSnapshot? g = machine.Generations.FirstOrDefault(x => x.Number == number);
            if (g is null || (g.ChildEnded && g.MainEnded))
            {
                Close(number);
            }
        }
    }

    /// <summary>
    /// Called before every signal hold sends: a SIGTERM that retires a draining generation while a newer one is
    /// serving first introduces the two (once per pair).
    /// </summary>
    public void BeforeSignal(int pid, HoldSignal which, HoldMachine machine)
    {
        if (which != HoldSignal.Term || machine.Find(pid) is not { State: GenerationState.Draining } old)
        {
            return;
        }
        GenerationSnapshot? successor = machine.Generations.LastOrDefault(g => g.State == GenerationState.Ready && g.Number > old.Number);
        if (successor is not null)
        {
            Introduce(old.Number, successor.Number);
        }
    }

    /// <summary>Introduces generation <paramref name="old"/> to <paramref name="successor"/>; false where it could not.</summary>
    public bool Introduce(int old, int successor)
    {
        if (!_introduced.Add((old, successor))
            || !_links.TryGetValue(old, out FdChannel? oldLink)
            || !_links.TryGetValue(successor, out FdChannel? newLink))
        {
            return false;
        }
        SafeSocketHandle first, second;
        try
        {
            CliTarget.Current.Sockets.CreateSeqPacketPair(out first, out second);
        }
        catch (FdPassingException e)
        {
            _log($"generation {old}: no handover to generation {successor}: {OneLine.Of(e)}");
            return false;
        }
        // hold's copies are closed once sent: the two generations then hold the pair's only ends. The successor is
        // told first, so a predecessor is never told of a successor that could not be reached.
        using (first)
        using (second)
        {
            bool done = Send(newLink, successor, HandoverWire.IntroducePredecessor, old, second)
                && Send(oldLink, old, HandoverWire.IntroduceSuccessor, successor, first);
            if (done)
            {
                _log($"generation {old}: introduced to generation {successor} for a handover");
            }
            return done;
        }
    }

    private bool Send(FdChannel link, int generation, byte role, int peer, SafeSocketHandle end)
    {
        Span<byte> message = stackalloc byte[HandoverWire.HeaderSize + HandoverWire.IntroduceBodySize];
        HandoverWire.WriteIntroduce(message, role, (uint)generation, (uint)peer);
        try
        {
            link.SendRaw(message, [end]);
            return true;
        }
        catch (Exception e) when (e is FdPassingException or TimeoutException or ObjectDisposedException)
        {
            _log($"generation {generation}: its handover link takes no introduction ({OneLine.Of(e)}); no handover with generation {peer}");
            return false;
        }
    }

    /// <summary>Reads and drops what a generation sends on its link: hold expects nothing there, and closes any descriptor.</summary>
    private async Task DiscardAsync(int generation, FdChannel link, CancellationToken cancellationToken)
    {
        bool told = false;
        while (true)
        {
            try
            {
                using FdMessage message = await link.ReceiveRawAsync(64, -1, cancellationToken).ConfigureAwait(false);
                if (message.Payload.IsEmpty)
                {
                    return;
                }
            }
            catch (FdProtocolException)
            {
                // Control data refused: whatever came was closed; the link itself is fine.
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or FdPassingException)
            {
                return;
            }
            if (!told)
            {
                told = true;
                _log($"generation {generation} sent a message on its handover link, where hold expects none: dropped, with any descriptor it carried");
            }
        }
    }

    private static string OneLineOf(Exception e) => e.Message.ReplaceLineEndings(" ");

    public void Dispose()
    {
        _stop.Cancel();
        foreach (FdChannel link in _links.Values)
        {
            link.Dispose();
        }
        _links.Clear();
    }
}
