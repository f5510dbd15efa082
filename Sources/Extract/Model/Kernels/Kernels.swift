/// The fast forward kernels (f32, OpenBLAS for every matmul), llm.c's legend:
/// B batch, T time, C channels, NH heads, V vocabulary; N = B*T rows.
/// Pointers are raw because the forward pass owns reusable scratch; the model wraps
/// every call in closure-scoped `withUnsafe…` helpers so nothing unsafe is public.
enum Kernels {}
