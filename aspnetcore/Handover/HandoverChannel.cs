using System;
using System.Collections.Generic;
using System.Threading;
using System.Threading.Tasks;
using FdPasser.Handover;

namespace FdPasser.AspNetCore.Handover;

/// <summary>
/// This process's handover link (<see cref="HandoverLink.FromEnvironment"/>: fdpass hold passes one; systemd does
/// not), taken once per host. Tests give two hosts a connected sender and receiver instead.
/// </summary>
internal class HandoverChannel : IDisposable
{
    private readonly HandoverLink? _link;

    public HandoverChannel()
        : this(HandoverLink.FromEnvironment())
    {
    }

    protected HandoverChannel(HandoverLink? link) => _link = link;

    /// <summary>A manager offers the channel.</summary>
    public virtual bool IsPresent => _link is not null;

    /// <summary>The successor introduced to this (draining) generation, or null.</summary>
    public virtual ValueTask<HandoverSender?> WaitForSuccessorAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _link is null ? new ValueTask<HandoverSender?>((HandoverSender?)null) : _link.WaitForSuccessorAsync(timeout, cancellationToken);

    /// <summary>Each predecessor introduced to this generation, as it comes.</summary>
    public virtual IAsyncEnumerable<HandoverReceiver> ReceivePredecessorsAsync(CancellationToken cancellationToken) =>
        _link is null ? EmptyAsync() : _link.ReceivePredecessorsAsync(cancellationToken);

    private static async IAsyncEnumerable<HandoverReceiver> EmptyAsync()
    {
        await Task.CompletedTask.ConfigureAwait(false);
        yield break;
    }

    public void Dispose()
    {
        _link?.Dispose();
        GC.SuppressFinalize(this);
    }
}
