/// The on-disk activation store: format, writer, reader and index.
public enum ActStore {}
