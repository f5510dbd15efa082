/// From Hugging Face model files to activations in the store.
public enum Extract {}
