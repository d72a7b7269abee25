using System.Runtime.CompilerServices;

// The JPEG kernels (IDCT, upsampling, colour conversion) are tested path-against-reference and benchmarked
// stage by stage.
[assembly: InternalsVisibleTo("ClipSharp.Imaging.Tests")]
[assembly: InternalsVisibleTo("ClipSharp.Imaging.Bench")]
