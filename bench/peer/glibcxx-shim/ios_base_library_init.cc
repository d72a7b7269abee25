// GCC 13 moved the standard streams' initialisation into one libstdc++ function that every translation unit
// including <iostream> calls: std::ios_base_library_init(), exported at version GLIBCXX_3.4.32. TorchSharp
// 0.107's libLibTorchSharp.so (built with GCC 13) references it; Debian 12's libstdc++ (GCC 12) predates it
// and initialises the streams itself. This definition does what the GCC 13 one does, on GCC 12's library.
#include <ios>

namespace std
{
void ios_base_library_init() { static ios_base::Init init; }
}
