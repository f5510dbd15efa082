import ArgumentParser

/// `saestore train --wandb [--wandb-project P] [--wandb-entity E] [--wandb-name N]`.
struct WandbArguments: ParsableArguments {
    @Flag(help: "Log every metrics record live to Weights & Biases through the official wandb Python client (pip install wandb; $SAESTORE_PYTHON or python3), with the run config and, at the end, the SAELens export as a model artifact. --resume continues the same W&B run. WANDB_MODE=offline works offline.")
    var wandb = false
    @Option(help: "W&B project.") var wandbProject = "saestore"
    @Option(help: "W&B entity (user or team; default: wandb's own default).") var wandbEntity: String?
    @Option(help: "W&B run name (default: the run directory's name).") var wandbName: String?
}
