/// Reading and writing tensor files made elsewhere: safetensors and NumPy .npy.
public enum TensorIO {}
