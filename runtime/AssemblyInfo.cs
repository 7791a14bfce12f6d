// Every native call goes through blittable generated stubs; nothing needs the runtime's marshaller.
[assembly: System.Runtime.CompilerServices.DisableRuntimeMarshalling]
