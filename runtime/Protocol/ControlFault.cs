using FdPasser.Platform;

namespace FdPasser.Protocol;

/// <summary>
/// A control-data problem of a receive (the transport closed what came with it), kept as what happened until its
/// message is read to its end and worded only where it is thrown: the bytes are intact, so the protocol reads the
/// rest of the message to stay in step, then reports.
/// </summary>
internal struct ControlFault
{
    private ControlProblem _problem;
    private int _unknownLevel;
    private int _unknownType;
    private bool _oneExpected;

    public readonly bool IsSet => _problem != ControlProblem.None;

    /// <summary>Descriptors closed because of the problems of this message's receives.</summary>
    public int Closed { readonly get; private set; }

    /// <summary>
    /// Notes <paramref name="result"/>'s problem, if any; the first one is the one reported. <paramref name="oneExpected"/>
    /// words a <see cref="ControlProblem.TooMany"/> for the classic protocol's exactly one descriptor.
    /// </summary>
    public void Note(in ReceiveResult result, bool oneExpected = false)
    {
        if (result.Problem == ControlProblem.None)
        {
            return;
        }
        if (_problem == ControlProblem.None)
        {
            _problem = result.Problem;
            _unknownLevel = result.UnknownLevel;
            _unknownType = result.UnknownType;
            _oneExpected = oneExpected;
        }
        Closed += result.Closed;
    }

    public void Clear() => this = default;

    public readonly string Describe() => _problem == ControlProblem.TooMany && _oneExpected
        ? $"more than one descriptor arrived with one classic message, which carries exactly one; all {Closed} were closed"
        : Describe(_problem, Closed, _unknownLevel, _unknownType);

    /// <summary>The words for one receive's control-data problem; null where it had none.</summary>
    public static string? Describe(in ReceiveResult result) =>
        result.Problem == ControlProblem.None ? null : Describe(result.Problem, result.Closed, result.UnknownLevel, result.UnknownType);

    private static string Describe(ControlProblem problem, int closed, int level, int type) => problem switch
    {
        ControlProblem.Truncated =>
            $"the kernel truncated the control data (MSG_CTRUNC: the receiver's descriptor limit, RLIMIT_NOFILE, may be reached); {closed} descriptor(s) that did arrive were closed",
        ControlProblem.TooMany =>
            $"more descriptors arrived than this receive accepts; all {closed} were closed",
        ControlProblem.Malformed =>
            $"the control data was malformed (a cmsg_len no kernel writes); {closed} descriptor(s) that did arrive were closed",
        _ =>
            $"an unexpected control message (level {level}, type {type}) arrived; {closed} descriptor(s) with it were closed",
    };
}
