using FdPasser.Interop;

namespace FdPasser.Platform;

/// <summary>
/// Builds one thing per target from its generated ABI; <see cref="Transports.ForSocketTarget{TFactory}"/> holds
/// the table of targets once for every such thing. Not generic over what it builds: NativeAOT's compiler (ILC
/// 10.0.12) stops on the table instantiated over a shared reference type ("VTable of type
/// 'ITargetFactory`1&lt;System.__Canon&gt;' not computed by the IL scanner"); over the factory struct alone every
/// instantiation is exact.
/// </summary>
internal interface ITargetFactory
{
    static abstract object Create<TAbi>() where TAbi : struct, IPlatformAbi;
}
